//! Chain completion: find the missing issuers of a certificate in a local
//! pool (`--intermediates DIR`) or by following its AIA caIssuers URLs
//! (`--fetch-aia`, RFC 5280 section 4.2.2.1), the way cfssl's bundler and
//! cert-chain-resolver do.
//!
//! Bounds: at most [`MAX_HOPS`] issuers are added, each response is at most
//! [`MAX_RESPONSE_BYTES`], every fetch ends by the caller's deadline, and a
//! URL is fetched once (a loop of URLs ends). Only `http://` URLs are
//! fetched: RFC 5280 says caIssuers "MUST" be available over HTTP (or LDAP)
//! and an `https://` fetch would need the very chain being completed, so it
//! is refused with a message, as are `ldap://`, `file://` and any other
//! scheme; a URL never becomes a file path. A response may be DER, PEM or
//! PKCS#7 (`.p7c`); a fetched certificate is used only when its key
//! verifies the signature of the certificate it should have issued.
use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Instant;

use super::load::{self, LoadOptions};
use super::model::Cert;
use super::verify::{self, SigCheck};

/// Most issuers added to one chain.
pub const MAX_HOPS: usize = 5;
/// Most bytes of one HTTP response body.
pub const MAX_RESPONSE_BYTES: usize = 1 << 20;
/// Most bytes of the response's status line and headers.
const MAX_HEADER_BYTES: usize = 16 * 1024;

/// caIssuers, id-ad-caIssuers (RFC 5280 section 4.2.2.1).
const CA_ISSUERS: &str = "1.3.6.1.5.5.7.48.2";

#[derive(Debug, thiserror::Error)]
pub enum AiaError {
    #[error(
        "{url}: not fetched: only http:// caIssuers URLs are followed (RFC 5280 publishes issuers over HTTP; https would need the chain being completed)"
    )]
    Scheme { url: String },
    #[error("{url}: not a usable http URL: {reason}")]
    BadUrl { url: String, reason: &'static str },
    #[error("{url}: {reason}")]
    Fetch { url: String, reason: String },
    #[error("{url}: timed out")]
    Timeout { url: String },
    #[error("{url}: the response is larger than {limit} bytes; not used")]
    TooLarge { url: String, limit: usize },
    #[error("{url}: HTTP status {status}")]
    Status { url: String, status: String },
    #[error("{url}: no certificate in the response (not DER, PEM or PKCS#7)")]
    NoCert { url: String },
    #[error("{url}: no certificate in the response verifies the signature of `{child}`; not used")]
    NotIssuer { url: String, child: String },
    #[error("{url}: fetched before (a loop of caIssuers URLs); stopped")]
    Loop { url: String },
}

/// An issuer added to a chain, confirmed by its signature over `issued`.
#[derive(Debug, Clone)]
pub struct Added {
    pub cert: Cert,
    /// `aia` or `intermediates`.
    pub source: &'static str,
    /// The URL or file it came from.
    pub from: String,
    /// The subject of the certificate it issued.
    pub issued: String,
}

/// How to complete.
pub struct Options<'a> {
    /// Follow caIssuers URLs.
    pub fetch: bool,
    /// Local candidates (`--intermediates`), with the file each came from.
    pub pool: &'a [Cert],
    /// Every fetch ends by then.
    pub deadline: Instant,
}

/// The caIssuers URLs of a certificate, in order.
pub fn ca_issuers(cert: &Cert) -> Vec<String> {
    use x509_parser::extensions::{GeneralName, ParsedExtension};
    let Ok((_, x)) = x509_parser::parse_x509_certificate(&cert.der) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for ext in x.tbs_certificate.extensions() {
        if let ParsedExtension::AuthorityInfoAccess(aia) = ext.parsed_extension() {
            for d in aia.iter() {
                if d.access_method.to_id_string() == CA_ISSUERS
                    && let GeneralName::URI(uri) = &d.access_location
                {
                    out.push((*uri).to_owned());
                }
            }
        }
    }
    out
}

fn signs(issuer: &Cert, child: &Cert) -> bool {
    verify::check(child, issuer) == SigCheck::Valid
}

fn is_root(c: &Cert) -> bool {
    c.is_self_issued() && signs(c, c)
}

/// Complete upward from `top` (the last certificate whose issuer is
/// missing): issuers from the pool first, then through caIssuers URLs.
/// Returns the added issuers, child first, and one note per problem.
pub fn complete(top: &Cert, opts: &Options<'_>) -> (Vec<Added>, Vec<String>) {
    let mut added: Vec<Added> = Vec::new();
    let mut notes = Vec::new();
    let mut visited: HashSet<String> = HashSet::new();
    let mut current = top.clone();
    while !is_root(&current) {
        if added.len() >= MAX_HOPS {
            notes.push(format!(
                "stopped after {MAX_HOPS} added issuers above `{}`",
                top.subject
            ));
            break;
        }
        if let Some(p) = opts.pool.iter().find(|p| {
            p.der != current.der && signs(p, &current) && !added.iter().any(|a| a.cert.der == p.der)
        }) {
            added.push(Added {
                cert: p.clone(),
                source: "intermediates",
                from: p.source.location(),
                issued: current.subject.clone(),
            });
            current = p.clone();
            continue;
        }
        if !opts.fetch {
            break;
        }
        let urls = ca_issuers(&current);
        if urls.is_empty() {
            notes.push(format!(
                "`{}` has no caIssuers URL to fetch its issuer from",
                current.subject
            ));
            break;
        }
        let mut found = None;
        for url in urls {
            if !visited.insert(url.clone()) {
                notes.push(AiaError::Loop { url }.to_string());
                continue;
            }
            match fetch_certs(&url, opts.deadline) {
                Ok(certs) => match certs.into_iter().find(|c| signs(c, &current)) {
                    Some(c) => {
                        found = Some((c, url));
                        break;
                    }
                    None => notes.push(
                        AiaError::NotIssuer {
                            url,
                            child: current.subject.clone(),
                        }
                        .to_string(),
                    ),
                },
                Err(e) => notes.push(e.to_string()),
            }
        }
        let Some((issuer, url)) = found else { break };
        if added.iter().any(|a| a.cert.der == issuer.der) || issuer.der == top.der {
            notes.push(AiaError::Loop { url }.to_string());
            break;
        }
        added.push(Added {
            cert: issuer.clone(),
            source: "aia",
            from: url,
            issued: current.subject.clone(),
        });
        current = issuer;
    }
    (added, notes)
}

/// Complete a pile (`bundle --fetch-aia`): for each certificate whose
/// issuer is neither in the pile nor added already, follow its caIssuers
/// URLs. The deadline covers the whole pile.
pub fn complete_pile(pile: &[Cert], deadline: Instant) -> (Vec<Added>, Vec<String>) {
    let mut added: Vec<Added> = Vec::new();
    let mut notes = Vec::new();
    for c in pile {
        let known = pile.iter().chain(added.iter().map(|a| &a.cert));
        let has_issuer = is_root(c) || known.clone().any(|p| p.der != c.der && signs(p, c));
        if has_issuer {
            continue;
        }
        let (more, why) = complete(
            c,
            &Options {
                fetch: true,
                pool: &[],
                deadline,
            },
        );
        for a in more {
            let dup = pile.iter().any(|p| p.der == a.cert.der)
                || added.iter().any(|b| b.cert.der == a.cert.der);
            if !dup {
                added.push(a);
            }
        }
        notes.extend(why);
    }
    (added, notes)
}

/// Certificates of every readable file directly in `dir` (`--intermediates`).
pub fn read_pool(dir: &Path) -> Result<(Vec<Cert>, Vec<String>), std::io::Error> {
    let mut certs = Vec::new();
    let mut notes = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        // Regular files only: a FIFO or a device would block or never end.
        if !std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            continue;
        }
        match load::load_path(&path, &LoadOptions::default()) {
            Ok(f) => certs.extend(f.certs),
            Err(e) => notes.push(e.to_string()),
        }
    }
    Ok((certs, notes))
}

/// Fetch `url` and read the certificates in the response.
pub fn fetch_certs(url: &str, deadline: Instant) -> Result<Vec<Cert>, AiaError> {
    let body = http_get(url, deadline)?;
    let loaded = load::load_bytes(url, &body, &LoadOptions::default());
    if loaded.certs.is_empty() {
        return Err(AiaError::NoCert {
            url: url.to_owned(),
        });
    }
    Ok(loaded.certs)
}

/// `http://HOST[:PORT]/PATH` → (host, port, path).
fn parse_url(url: &str) -> Result<(String, u16, String), AiaError> {
    let bad = |reason| AiaError::BadUrl {
        url: url.to_owned(),
        reason,
    };
    let lower = url.to_ascii_lowercase();
    let Some(rest) = lower.strip_prefix("http://").map(|_| &url[7..]) else {
        return Err(AiaError::Scheme {
            url: url.to_owned(),
        });
    };
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let path = path.split('#').next().unwrap_or("/");
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    if authority.contains('@') {
        return Err(bad("user information in the URL"));
    }
    if path.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(bad("spaces or control characters in the path"));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or_else(|| bad("unclosed ["))?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| bad("bad port"))?,
            None if after.is_empty() => 80,
            None => return Err(bad("bad port")),
        };
        (h.to_owned(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_owned(), p.parse().map_err(|_| bad("bad port"))?),
            None => (authority.to_owned(), 80),
        }
    };
    if host.is_empty() {
        return Err(bad("no host"));
    }
    Ok((host, port, path))
}

/// An HTTP/1.1 GET over a plain TCP socket: every step ends by `deadline`,
/// and at most [`MAX_RESPONSE_BYTES`] of body (plus headers) are read.
pub fn http_get(url: &str, deadline: Instant) -> Result<Vec<u8>, AiaError> {
    let (host, port, path) = parse_url(url)?;
    let fail = |reason: String| AiaError::Fetch {
        url: url.to_owned(),
        reason,
    };
    let timeout = || AiaError::Timeout {
        url: url.to_owned(),
    };
    let left = || {
        let l = deadline.saturating_duration_since(Instant::now());
        if l.is_zero() { Err(timeout()) } else { Ok(l) }
    };
    let addrs: Vec<SocketAddr> = crate::tls::resolve_within(&host, port, left()?).map_err(|e| {
        if e.kind() == std::io::ErrorKind::TimedOut {
            timeout()
        } else {
            fail(format!("cannot resolve: {e}"))
        }
    })?;
    let mut tcp = None;
    let mut last = String::from("no address");
    for a in addrs {
        match TcpStream::connect_timeout(&a, left()?) {
            Ok(s) => {
                tcp = Some(s);
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return Err(timeout()),
            Err(e) => last = e.to_string(),
        }
    }
    let mut tcp = tcp.ok_or_else(|| fail(format!("connection failed: {last}")))?;
    let host_header = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.clone()
    };
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host_header}:{port}\r\nUser-Agent: chainsmith/{}\r\nAccept: application/pkix-cert, application/pkcs7-mime, */*\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    tcp.set_write_timeout(Some(left()?))
        .map_err(|e| fail(e.to_string()))?;
    tcp.write_all(request.as_bytes())
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => timeout(),
            _ => fail(e.to_string()),
        })?;
    let cap = MAX_RESPONSE_BYTES + MAX_HEADER_BYTES;
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let mut head: Option<(usize, Option<usize>, bool)> = None; // (body start, content length, chunked)
    loop {
        tcp.set_read_timeout(Some(left()?))
            .map_err(|e| fail(e.to_string()))?;
        let n = match tcp.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(timeout());
            }
            Err(e) => return Err(fail(e.to_string())),
        };
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if head.is_none()
            && let Some(end) = find(&buf, b"\r\n\r\n")
        {
            let text = String::from_utf8_lossy(&buf[..end]).into_owned();
            let mut lines = text.split("\r\n");
            let status_line = lines.next().unwrap_or("");
            let status = status_line.split_whitespace().nth(1).unwrap_or("");
            if status != "200" {
                return Err(AiaError::Status {
                    url: url.to_owned(),
                    status: crate::limits::echo(status_line),
                });
            }
            let mut length = None;
            let mut chunked = false;
            for l in lines {
                let Some((k, v)) = l.split_once(':') else {
                    continue;
                };
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
                if k == "content-length" {
                    length = v.parse::<usize>().ok();
                } else if k == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked") {
                    chunked = true;
                }
            }
            if length.is_some_and(|l| l > MAX_RESPONSE_BYTES) {
                return Err(AiaError::TooLarge {
                    url: url.to_owned(),
                    limit: MAX_RESPONSE_BYTES,
                });
            }
            head = Some((end + 4, length, chunked));
        }
        if head.is_none() && buf.len() > MAX_HEADER_BYTES {
            return Err(fail("the response headers are too long".to_owned()));
        }
        if let Some((start, Some(len), false)) = head
            && buf.len() >= start + len
        {
            buf.truncate(start + len);
            break;
        }
        if buf.len() > cap {
            return Err(AiaError::TooLarge {
                url: url.to_owned(),
                limit: MAX_RESPONSE_BYTES,
            });
        }
    }
    let Some((start, _, chunked)) = head else {
        return Err(fail(
            "the server closed the connection before a complete response".to_owned(),
        ));
    };
    let body = buf.split_off(start);
    let body = if chunked {
        dechunk(&body).ok_or_else(|| fail("a malformed chunked body".to_owned()))?
    } else {
        body
    };
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(AiaError::TooLarge {
            url: url.to_owned(),
            limit: MAX_RESPONSE_BYTES,
        });
    }
    Ok(body)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Decode a `Transfer-Encoding: chunked` body.
fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let end = find(body, b"\r\n")?;
        let size_text = std::str::from_utf8(&body[..end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        body = &body[end + 2..];
        if size == 0 {
            return Some(out);
        }
        if body.len() < size || out.len() + size > MAX_RESPONSE_BYTES {
            return None;
        }
        out.extend_from_slice(&body[..size]);
        body = body.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn only_http_urls_are_fetched_and_never_become_paths() {
        for url in [
            "https://ca.example/int.cer",
            "ldap://ldap.example/cn=CA?cACertificate",
            "file:///etc/passwd",
            "/etc/passwd",
            "ftp://x/y",
        ] {
            let e = parse_url(url).unwrap_err();
            assert!(matches!(e, AiaError::Scheme { .. }), "{url}: {e}");
        }
        assert_eq!(
            parse_url("http://ca.example/a/int.cer").unwrap(),
            ("ca.example".into(), 80, "/a/int.cer".into())
        );
        assert_eq!(
            parse_url("HTTP://127.0.0.1:8080").unwrap(),
            ("127.0.0.1".into(), 8080, "/".into())
        );
        assert_eq!(
            parse_url("http://[::1]:81/x.p7c").unwrap(),
            ("::1".into(), 81, "/x.p7c".into())
        );
        assert!(parse_url("http://user@h/x").is_err());
        assert!(parse_url("http://h/a b").is_err());
    }

    #[test]
    fn chunked_bodies_decode_and_stay_bounded() {
        assert_eq!(
            dechunk(b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n").unwrap(),
            b"abcde"
        );
        assert!(dechunk(b"zz\r\n").is_none());
        assert!(dechunk(b"5\r\nab").is_none());
    }

    #[test]
    fn a_response_over_the_limit_is_refused_while_reading() {
        let (port, server) = crate::tls::tests::serve_once(|mut s| {
            let mut req = [0u8; 1024];
            let _ = s.read(&mut req);
            // No Content-Length: the limit must hold while streaming.
            let _ = s.write_all(b"HTTP/1.0 200 OK\r\n\r\n");
            let block = [0u8; 64 * 1024];
            for _ in 0..64 {
                if s.write_all(&block).is_err() {
                    break;
                }
            }
        });
        let e = http_get(
            &format!("http://127.0.0.1:{port}/big"),
            Instant::now() + Duration::from_secs(10),
        )
        .unwrap_err();
        assert!(matches!(e, AiaError::TooLarge { .. }), "{e}");
        server.join().unwrap();
    }
}
