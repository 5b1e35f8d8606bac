//! Capture the certificate chain a TLS server sends, exactly as sent, even
//! when no client would trust it: the verifier records the chain and accepts
//! it, while handshake signatures are still checked with the provider.
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
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
    pub elapsed: Duration,
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
    let target = format!("{host}:{port}");
    let start = Instant::now();
    let deadline = start + timeout;
    let server_name =
        ServerName::try_from(sni.to_owned()).map_err(|_| ProbeError::BadSni(sni.to_owned()))?;
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|source| ProbeError::Resolve {
            target: target.clone(),
            source,
        })?
        .collect();
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
        .with_no_client_auth();
    let mut conn = ClientConnection::new(Arc::new(config), server_name).map_err(|e| {
        ProbeError::Handshake {
            target: target.clone(),
            reason: e.to_string(),
        }
    })?;

    let mut handshake_error = None;
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
                handshake_error = Some(e.to_string());
                break;
            }
        }
    }
    let chain = verifier.seen.lock().ok().and_then(|mut s| s.take());
    let Some(chain) = chain else {
        return Err(ProbeError::Handshake {
            target,
            reason: handshake_error.unwrap_or_else(|| "no certificate was sent".to_owned()),
        });
    };
    let protocol = if handshake_error.is_none() {
        conn.send_close_notify();
        let _ = conn.write_tls(&mut tcp);
        let _ = tcp.flush();
        let mut sink = [0u8; 1];
        let _ = tcp.set_read_timeout(Some(Duration::from_millis(1)));
        let _ = tcp.read(&mut sink);
        conn.protocol_version()
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    } else {
        None
    };
    Ok(Captured {
        chain,
        peer,
        protocol,
        handshake_error,
        elapsed: start.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            if let Ok((mut s, _)) = listener.accept() {
                let _ = s.write_all(b"HTTP/1.0 400 Bad Request\r\n\r\nnot tls\n");
            }
        });
        let err = capture("127.0.0.1", port, "localhost", Duration::from_secs(3)).unwrap_err();
        assert!(matches!(err, ProbeError::Handshake { .. }), "{err}");
        server.join().unwrap();
    }

    /// A loopback server that accepts one connection and runs `serve` on
    /// it; `serve` must end on its own (bounded loops, or a write error
    /// once the client has gone).
    fn serve_once(
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
