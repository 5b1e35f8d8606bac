// JavaClient: the Java (SunJSSE, PKIX trust manager) verdict for each scenario
// of the differential client harness (tests/clients/run_clients.py). One JVM
// checks every scenario, so the harness pays for one start-up.
//
//   java JavaClient.java LIST
//
// LIST has one scenario per line: ID<TAB>PORT<TAB>HOST<TAB>TRUSTSTORE.p12
// (a PKCS#12 trust store made by keytool, password "changeit"). For each,
// connect to 127.0.0.1:PORT with an SSLSocket whose endpoint identification
// is "HTTPS" for HOST (what HttpsURLConnection does) and SNI HOST, and print
// ID<TAB>ok|fail<TAB>DETAIL.

import java.io.FileInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

public class JavaClient {
    static final int TIMEOUT_MS = 10_000;

    static void check(int port, String host, String truststore) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(truststore)) {
            ks.load(in, "changeit".toCharArray());
        }
        TrustManagerFactory tmf =
                TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        Socket raw = new Socket();
        raw.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MS);
        raw.setSoTimeout(TIMEOUT_MS);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, host, port, true)) {
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            if (!host.matches("[0-9.]+") && !host.contains(":")) {
                p.setServerNames(List.of(new SNIHostName(host)));
            }
            s.setSSLParameters(p);
            s.startHandshake();
        }
    }

    static String detail(Throwable e) {
        // The innermost cause names the certificate problem; keep the outer
        // message too when it adds something.
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String msg = root.getClass().getSimpleName() + ": " + root.getMessage();
        return msg.replace('\n', ' ').replace('\t', ' ');
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: java JavaClient.java LIST");
            System.exit(2);
        }
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            String[] f = line.split("\t");
            if (f.length != 4) {
                continue;
            }
            try {
                check(Integer.parseInt(f[1]), f[2], f[3]);
                System.out.println(f[0] + "\tok\t");
            } catch (Exception e) {
                System.out.println(f[0] + "\tfail\t" + detail(e));
            }
            System.out.flush();
        }
    }
}
