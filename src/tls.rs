//! Capture the certificate chain a TLS server sends, exactly as sent, even
//! when no client would trust it: the verifier records the chain and accepts
//! it, while handshake signatures are still checked with the provider.
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::client::ResolvesClientCert;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme};

/// What a probe saw.
#[derive(Debug)]
pub struct Captured {
    /// The certificates in the order the server sent them (DER).
    pub chain: Vec<Vec<u8>>,
    pub peer: SocketAddr,
    /// The negotiated protocol version, e.g. "TLSv1.3", when the handshake completed.
    pub protocol: Option<String>,
    /// Set when the server sent its chain but the handshake did not complete
    /// (it asked for a client certificate, say).
    pub handshake_error: Option<String>,
    /// The alert that ended the handshake, when one did (also after the
    /// handshake, where TLS 1.3 servers reject a client certificate).
    pub alert: Option<Alert>,
    /// Set when the server sent a CertificateRequest.
    pub client_auth: Option<ClientAuthRequest>,
    /// SNI was sent (not for an IP address).
    pub sni_sent: bool,
    pub elapsed: Duration,
}

/// A server's request for a client certificate.
#[derive(Debug, Clone)]
pub struct ClientAuthRequest {
    /// The acceptable CA names it listed (DER X.500 names; may be empty).
    pub acceptable_cas: Vec<Vec<u8>>,
    /// A client certificate was sent in answer.
    pub sent: bool,
}

/// A TLS alert the server sent, by its RFC 8446 / RFC 5246 name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    pub code: u8,
    /// When it came: before the server's certificate, during the handshake
    /// after it, or once the client had finished (TLS 1.3 client authentication).
    pub stage: AlertStage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertStage {
    BeforeCertificate,
    InHandshake,
    AfterHandshake,
}

impl AlertStage {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStage::BeforeCertificate => "before-certificate",
            AlertStage::InHandshake => "in-handshake",
            AlertStage::AfterHandshake => "after-handshake",
        }
    }
}

impl Alert {
    /// The alert's name as the RFCs (and OpenSSL's `SSL alert` messages) spell it.
    pub fn name(self) -> String {
        alert_name(self.code)
    }
}

/// RFC 8446 section 6 / RFC 5246 section 7.2 names of alert codes.
pub fn alert_name(code: u8) -> String {
    let name = match code {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        111 => "certificate_unobtainable",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        114 => "bad_certificate_hash_value",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        121 => "encrypted_client_hello_required",
        other => return format!("alert_{other}"),
    };
    name.to_owned()
}

/// The alert inside an error from rustls (directly, or wrapped in an io::Error).
fn alert_of(e: &std::io::Error) -> Option<u8> {
    e.get_ref()
        .and_then(|r| r.downcast_ref::<rustls::Error>())
        .and_then(alert_in)
}

fn alert_in(e: &rustls::Error) -> Option<u8> {
    match e {
        rustls::Error::AlertReceived(d) => Some(u8::from(*d)),
        _ => None,
    }
}

/// A client certificate and key to present when the server asks.
pub type ClientIdentity = Arc<CertifiedKey>;

/// A client identity from a certificate chain (leaf first, DER) and the
/// leaf's PKCS#8 private key; the error never holds key material.
pub fn identity(chain: Vec<Vec<u8>>, pkcs8: &[u8]) -> Result<ClientIdentity, String> {
    let der =
        rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(pkcs8));
    let key = rustls::crypto::aws_lc_rs::sign::any_supported_type(&der)
        .map_err(|_| "the key type cannot sign TLS handshakes".to_owned())?;
    let chain = chain.into_iter().map(CertificateDer::from).collect();
    Ok(Arc::new(CertifiedKey::new(chain, key)))
}

/// Presents the client identity (if any) and records what the server asked for.
#[derive(Debug)]
struct ClientAuth {
    identity: Option<ClientIdentity>,
    seen: Mutex<Option<ClientAuthRequest>>,
}

impl ResolvesClientCert for ClientAuth {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        // rustls sends the certificate only when the key can sign with one
        // of the server's schemes; record what will really happen.
        let usable = self
            .identity
            .as_ref()
            .filter(|id| id.key.choose_scheme(sigschemes).is_some());
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(ClientAuthRequest {
                acceptable_cas: root_hint_subjects.iter().map(|n| n.to_vec()).collect(),
                sent: usable.is_some(),
            });
        }
        usable.cloned()
    }

    fn has_certs(&self) -> bool {
        self.identity.is_some()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("{target}: cannot resolve: {source}")]
    Resolve {
        target: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{target}: connection failed: {reason}")]
    Connect { target: String, reason: String },
    #[error("{target}: timed out after {secs:.1}s {during}")]
    Timeout {
        target: String,
        secs: f64,
        during: &'static str,
    },
    #[error(
        "{target}: the server sent more than {limit} bytes without finishing the handshake; gave up"
    )]
    TooMuch { target: String, limit: usize },
    #[error("{target}: TLS handshake failed before the server sent a certificate: {reason}")]
    Handshake { target: String, reason: String },
    #[error(
        "{target}: TLS handshake failed before the server sent a certificate: the server sent the alert {}",
        alert_name(*code)
    )]
    Alert {
        target: String,
        code: u8,
        sni_sent: bool,
        client_auth: Option<ClientAuthRequest>,
    },
    #[error("invalid server name `{0}` for SNI")]
    BadSni(String),
}

#[derive(Debug)]
struct CaptureVerifier {
    provider: Arc<CryptoProvider>,
    seen: Mutex<Option<Vec<Vec<u8>>>>,
}

impl ServerCertVerifier for CaptureVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut chain = vec![end_entity.as_ref().to_vec()];
        chain.extend(intermediates.iter().map(|c| c.as_ref().to_vec()));
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(chain);
        }
        // Trust is judged afterwards by the linter, not here.
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Most bytes a handshake may take from the server: a real one with a
/// long chain is a few tens of KiB; this stops a server that streams a 16 MB
/// certificate message, or endless data, from filling memory.
pub const MAX_HANDSHAKE_BYTES: usize = 1 << 20;

/// The byte limit was reached (carried inside an `io::Error`).
#[derive(Debug)]
struct ReadLimit;

impl std::fmt::Display for ReadLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "more than {MAX_HANDSHAKE_BYTES} bytes from the server")
    }
}

impl std::error::Error for ReadLimit {}

/// The socket as rustls sees it during the handshake: every read and write
/// waits at most until the one deadline (the socket timeout is set to the
/// time left before each call, so a server that trickles a byte a second
/// cannot stretch it), and at most `limit` bytes are read in all.
struct Guarded<'a> {
    tcp: &'a mut TcpStream,
    deadline: Instant,
    read: usize,
    limit: usize,
}

impl Guarded<'_> {
    fn time_left(&self) -> std::io::Result<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "deadline reached",
            ));
        }
        Ok(left)
    }
}

impl Read for Guarded<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.read >= self.limit {
            return Err(std::io::Error::other(ReadLimit));
        }
        let left = self.time_left()?;
        self.tcp.set_read_timeout(Some(left))?;
        let room = buf.len().min(self.limit - self.read);
        let n = self.tcp.read(&mut buf[..room])?;
        self.read += n;
        Ok(n)
    }
}

impl Write for Guarded<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let left = self.time_left()?;
        self.tcp.set_write_timeout(Some(left))?;
        self.tcp.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.tcp.flush()
    }
}

/// Split `HOST[:PORT]` (IPv6 as `[::1]:443`); the port defaults to 443.
pub fn split_target(target: &str) -> Result<(String, u16), String> {
    let bad = || format!("`{target}` is not HOST[:PORT]");
    if let Some(rest) = target.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(bad)?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| bad())?,
            None if after.is_empty() => 443,
            None => return Err(bad()),
        };
        return Ok((host.to_owned(), port));
    }
    match target.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => {
            Ok((host.to_owned(), port.parse().map_err(|_| bad())?))
        }
        Some(_) => Ok((target.to_owned(), 443)), // a bare IPv6 address
        None if target.is_empty() => Err(bad()),
        None => Ok((target.to_owned(), 443)),
    }
}

/// Connect to `host:port`, send `sni` (an IP sends none, as browsers do),
/// and capture the served chain within `timeout` overall.
pub fn capture(
    host: &str,
    port: u16,
    sni: &str,
    timeout: Duration,
) -> Result<Captured, ProbeError> {
    capture_with(host, port, sni, timeout, None)
}

/// Longest wait, after a TLS 1.3 handshake in which the server asked for a
/// client certificate, for its verdict: a rejection is an alert, an
/// acceptance is usually a session ticket; a server that sends neither costs
/// this much (within the overall timeout).
pub const CLIENT_AUTH_VERDICT_WAIT: Duration = Duration::from_millis(1500);

/// Resolve `host:port`, giving up after `limit`: `getaddrinfo` blocks with
/// its own timeouts (often tens of seconds on a stalling DNS server), so it
/// runs on a thread of its own and is abandoned when the limit passes. A
/// literal address resolves at once.
pub fn resolve_within(host: &str, port: u16, limit: Duration) -> std::io::Result<Vec<SocketAddr>> {
    if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let name = host.to_owned();
    std::thread::Builder::new()
        .name("resolve".into())
        .spawn(move || {
            let r = (name.as_str(), port)
                .to_socket_addrs()
                .map(|a| a.collect::<Vec<_>>());
            // The receiver may have given up; nothing to do then.
            let _ = tx.send(r);
        })?;
    rx.recv_timeout(limit).unwrap_or_else(|_| {
        Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!(
                "name resolution took longer than {:.1}s",
                limit.as_secs_f64()
            ),
        ))
    })
}

/// As [`capture`], presenting `identity` when the server asks for a client
/// certificate.
pub fn capture_with(
    host: &str,
    port: u16,
    sni: &str,
    timeout: Duration,
    identity: Option<ClientIdentity>,
) -> Result<Captured, ProbeError> {
    let target = format!("{host}:{port}");
    let start = Instant::now();
    let deadline = start + timeout;
    let server_name =
        ServerName::try_from(sni.to_owned()).map_err(|_| ProbeError::BadSni(sni.to_owned()))?;
    let sni_sent = matches!(server_name, ServerName::DnsName(_));
    let addrs = resolve_within(host, port, timeout).map_err(|source| ProbeError::Resolve {
        target: target.clone(),
        source,
    })?;
    let mut last_err = String::from("no address");
    let mut tcp = None;
    for addr in addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match TcpStream::connect_timeout(&addr, left) {
            Ok(s) => {
                tcp = Some(s);
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => last_err = "timed out".to_owned(),
            Err(e) => last_err = e.to_string(),
        }
    }
    let Some(mut tcp) = tcp else {
        if Instant::now() >= deadline || last_err == "timed out" {
            return Err(ProbeError::Timeout {
                target,
                secs: timeout.as_secs_f64(),
                during: "connecting",
            });
        }
        return Err(ProbeError::Connect {
            target,
            reason: last_err,
        });
    };
    let peer = tcp.peer_addr().map_err(|e| ProbeError::Connect {
        target: target.clone(),
        reason: e.to_string(),
    })?;

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let client_auth = Arc::new(ClientAuth {
        identity,
        seen: Mutex::new(None),
    });
    let verifier = Arc::new(CaptureVerifier {
        provider: Arc::clone(&provider),
        seen: Mutex::new(None),
    });
    let config = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(|e| ProbeError::Handshake {
            target: target.clone(),
            reason: e.to_string(),
        })?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_client_cert_resolver(client_auth.clone());
    let mut conn = ClientConnection::new(Arc::new(config), server_name).map_err(|e| {
        ProbeError::Handshake {
            target: target.clone(),
            reason: e.to_string(),
        }
    })?;

    let mut handshake_error = None;
    let mut alert = None;
    let mut guarded = Guarded {
        tcp: &mut tcp,
        deadline,
        read: 0,
        limit: MAX_HANDSHAKE_BYTES,
    };
    while conn.is_handshaking() {
        if Instant::now() >= deadline {
            return Err(ProbeError::Timeout {
                target,
                secs: timeout.as_secs_f64(),
                during: "in the TLS handshake",
            });
        }
        match conn.complete_io(&mut guarded) {
            Ok((0, 0)) if conn.is_handshaking() => {
                handshake_error = Some("the server closed the connection".to_owned());
                break;
            }
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(ProbeError::Timeout {
                    target,
                    secs: timeout.as_secs_f64(),
                    during: "in the TLS handshake",
                });
            }
            Err(e) if e.get_ref().is_some_and(|r| r.is::<ReadLimit>()) => {
                return Err(ProbeError::TooMuch {
                    target,
                    limit: MAX_HANDSHAKE_BYTES,
                });
            }
            Err(e) => {
                alert = alert_of(&e);
                handshake_error = Some(e.to_string());
                break;
            }
        }
    }
    let chain = verifier.seen.lock().ok().and_then(|mut s| s.take());
    let requested = || client_auth.seen.lock().ok().and_then(|s| s.clone());
    let Some(chain) = chain else {
        if let Some(code) = alert {
            return Err(ProbeError::Alert {
                target,
                code,
                sni_sent,
                client_auth: requested(),
            });
        }
        return Err(ProbeError::Handshake {
            target,
            reason: handshake_error.unwrap_or_else(|| "no certificate was sent".to_owned()),
        });
    };
    let mut alert = alert.map(|code| Alert {
        code,
        stage: AlertStage::InHandshake,
    });
    // TLS 1.3: the client is done once it sends its Finished; a server that
    // rejects the client certificate (or its absence) says so after that.
    if handshake_error.is_none()
        && requested().is_some()
        && conn.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3)
    {
        let wait_until = deadline.min(Instant::now() + CLIENT_AUTH_VERDICT_WAIT);
        if let Some((code, reason)) = await_verdict(&mut conn, &mut tcp, wait_until) {
            alert = code.map(|code| Alert {
                code,
                stage: AlertStage::AfterHandshake,
            });
            handshake_error = Some(reason);
        }
    }
    let protocol = if handshake_error.is_none() {
        conn.send_close_notify();
        let _ = conn.write_tls(&mut tcp);
        let _ = tcp.flush();
        let mut sink = [0u8; 1];
        let _ = tcp.set_read_timeout(Some(Duration::from_millis(1)));
        let _ = tcp.read(&mut sink);
        conn.protocol_version()
            .and_then(|v| v.as_str())
            .map(|v| v.replace('_', "."))
    } else {
        None
    };
    Ok(Captured {
        chain,
        peer,
        protocol,
        handshake_error,
        alert,
        client_auth: requested(),
        sni_sent,
        elapsed: start.elapsed(),
    })
}

/// Read what the server sends after a TLS 1.3 handshake until `until`:
/// None when it accepted (it sent a record that was not an alert, or sent
/// nothing in time), else the alert (if any) and the reason.
fn await_verdict(
    conn: &mut ClientConnection,
    tcp: &mut TcpStream,
    until: Instant,
) -> Option<(Option<u8>, String)> {
    // Our Finished (and Certificate) may still be queued.
    let mut guarded = Guarded {
        tcp,
        deadline: until,
        read: 0,
        limit: MAX_HANDSHAKE_BYTES,
    };
    while conn.wants_write() {
        if conn.write_tls(&mut guarded).is_err() {
            return None;
        }
    }
    loop {
        match conn.read_tls(&mut guarded) {
            Ok(0) => {
                return Some((
                    None,
                    "the server closed the connection after the handshake".to_owned(),
                ));
            }
            Ok(_) => match conn.process_new_packets() {
                Ok(_) => return None,
                Err(e) => return Some((alert_in(&e), e.to_string())),
            },
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            // Nothing more in time, or a reset: no verdict either way.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return Some((None, format!("the server reset the connection: {e}")));
            }
            Err(_) => return None,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn name_resolution_ends_within_its_limit() {
        let a = resolve_within("127.0.0.1", 443, Duration::from_millis(1)).unwrap();
        assert_eq!(a, vec!["127.0.0.1:443".parse().unwrap()]);
        let a = resolve_within("[::1]", 8443, Duration::from_millis(1)).unwrap();
        assert_eq!(a, vec!["[::1]:8443".parse().unwrap()]);
        // Whatever the resolver does with this name, the answer (or the
        // refusal) comes within the limit, give or take scheduling.
        let start = Instant::now();
        let _ = resolve_within("no-such-host.invalid", 443, Duration::from_millis(200));
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn targets_split() {
        assert_eq!(
            split_target("example.com").unwrap(),
            ("example.com".into(), 443)
        );
        assert_eq!(
            split_target("example.com:8443").unwrap(),
            ("example.com".into(), 8443)
        );
        assert_eq!(split_target("[::1]:8443").unwrap(), ("::1".into(), 8443));
        assert_eq!(split_target("[::1]").unwrap(), ("::1".into(), 443));
        assert_eq!(split_target("::1").unwrap(), ("::1".into(), 443));
        assert!(split_target("host:notaport").is_err());
        assert!(split_target("").is_err());
    }

    #[test]
    fn refused_connection_is_a_clean_error() {
        // Bind then drop, so the port is (almost certainly) closed.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = capture("127.0.0.1", port, "localhost", Duration::from_secs(2)).unwrap_err();
        assert!(matches!(err, ProbeError::Connect { .. }), "{err}");
    }

    #[test]
    fn non_tls_server_is_a_handshake_error_within_the_timeout() {
        let (port, server) = serve_once(|mut s| {
            let _ = s.write_all(b"HTTP/1.0 400 Bad Request\r\n\r\nnot tls\n");
        });
        let err = capture("127.0.0.1", port, "localhost", Duration::from_secs(3)).unwrap_err();
        assert!(matches!(err, ProbeError::Handshake { .. }), "{err}");
        server.join().unwrap();
    }

    /// A loopback server that accepts one connection and runs `serve` on
    /// it; `serve` must end on its own (bounded loops, or a write error
    /// once the client has gone). Also used by `pki::aia`'s tests.
    pub(crate) fn serve_once(
        serve: impl FnOnce(std::net::TcpStream) + Send + 'static,
    ) -> (u16, std::thread::JoinHandle<()>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            if let Ok((s, _)) = listener.accept() {
                serve(s);
            }
        });
        (port, server)
    }

    #[test]
    fn a_server_trickling_bytes_cannot_stretch_the_deadline() {
        // A TLS handshake record header announcing 16 KiB, then one byte
        // every 100 ms for at most 10 s: each read gets data before the
        // socket timeout, so only the overall deadline can end it.
        let (port, server) = serve_once(|mut s| {
            let _ = s.write_all(&[0x16, 0x03, 0x03, 0x40, 0x00]);
            for _ in 0..100 {
                if s.write_all(&[0x02]).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        let t = Instant::now();
        let err = capture("127.0.0.1", port, "localhost", Duration::from_millis(800)).unwrap_err();
        let took = t.elapsed();
        assert!(matches!(err, ProbeError::Timeout { .. }), "{err}");
        assert!(took < Duration::from_secs(3), "took {took:?}");
        server.join().unwrap();
    }

    #[test]
    fn reads_stop_at_the_byte_limit() {
        // The server writes zeros as fast as it can, up to 8 MiB or until
        // the client hangs up.
        let (port, server) = serve_once(|mut s| {
            let chunk = [0u8; 64 * 1024];
            for _ in 0..128 {
                if s.write_all(&chunk).is_err() {
                    break;
                }
            }
        });
        let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let mut g = Guarded {
            tcp: &mut tcp,
            deadline: Instant::now() + Duration::from_secs(20),
            read: 0,
            limit: MAX_HANDSHAKE_BYTES,
        };
        let mut buf = vec![0u8; 100_000];
        let err = loop {
            match g.read(&mut buf) {
                Ok(0) => panic!("the server stopped before the limit"),
                Ok(_) => {}
                Err(e) => break e,
            }
        };
        assert_eq!(g.read, MAX_HANDSHAKE_BYTES);
        assert!(err.get_ref().is_some_and(|r| r.is::<ReadLimit>()), "{err}");
        drop(tcp);
        server.join().unwrap();
    }

    #[test]
    fn endless_garbage_ends_within_the_timeout() {
        let (port, server) = serve_once(|mut s| {
            let junk: Vec<u8> = (0..64 * 1024).map(|i| (i * 7 + 3) as u8).collect();
            for _ in 0..128 {
                if s.write_all(&junk).is_err() {
                    break;
                }
            }
        });
        let t = Instant::now();
        let err = capture("127.0.0.1", port, "localhost", Duration::from_secs(2)).unwrap_err();
        assert!(
            matches!(
                err,
                ProbeError::Handshake { .. }
                    | ProbeError::TooMuch { .. }
                    | ProbeError::Timeout { .. }
            ),
            "{err}"
        );
        assert!(t.elapsed() < Duration::from_secs(4));
        server.join().unwrap();
    }

    #[test]
    fn silent_server_times_out() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let t = Instant::now();
        let err = capture("127.0.0.1", port, "localhost", Duration::from_millis(300)).unwrap_err();
        assert!(matches!(err, ProbeError::Timeout { .. }), "{err}");
        assert!(t.elapsed() < Duration::from_secs(3));
        drop(listener);
    }
}
