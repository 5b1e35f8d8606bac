//! What a TLS alert from a server most likely means, for `probe`: each
//! alert name maps to its likely causes, each with a fix line. The causes
//! are read from the servers' own sources and documentation:
//!
//! - APISIX/OpenResty answer `internal_error` when `ssl_certificate_by_lua`
//!   finds no SSL object for the SNI (apache/apisix `apisix/ssl/router/radixtree_sni.lua`:
//!   "failed to find any SSL certificate by SNI"), and with no SNI they use
//!   `apisix.ssl.fallback_sni` (`conf/config.yaml.example`).
//! - nginx with `ssl_certificate $variable` fails the certificate callback
//!   when the file cannot be loaded (`ngx_ssl_certificate` in
//!   src/event/ngx_event_openssl.c, via `SSL_CTX_set_cert_cb`), which
//!   OpenSSL turns into `internal_error`; `ssl_reject_handshake on` answers
//!   `unrecognized_name`.
//! - An OpenSSL server that requires a client certificate
//!   (`SSL_VERIFY_FAIL_IF_NO_PEER_CERT`) answers `certificate_required` in
//!   TLS 1.3 and `handshake_failure` in TLS 1.2 when none comes, and
//!   `unknown_ca` when it cannot build a path for the one that came
//!   (`ssl/statem/statem_srvr.c`, `ssl_verify_alarm_type` in ssl/ssl_cert.c).
//!
//! The text names the configuration knobs a person would change.

use crate::tls::{AlertStage, ClientAuthRequest};

/// One likely cause of an alert and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    pub cause: String,
    pub fix: String,
}

/// What was known when the alert came.
#[derive(Debug, Clone)]
pub struct AlertContext<'a> {
    /// The alert name (`internal_error`).
    pub alert: &'a str,
    pub stage: AlertStage,
    /// The SNI sent; None when none was (the target was an IP address).
    pub sni: Option<&'a str>,
    /// The server's CertificateRequest, if it sent one.
    pub client_auth: Option<&'a ClientAuthRequest>,
    /// Was a client certificate given (`--cert`)?
    pub identity_given: bool,
}

fn cause(cause: impl Into<String>, fix: impl Into<String>) -> Cause {
    Cause {
        cause: cause.into(),
        fix: fix.into(),
    }
}

/// The likely causes of `ctx.alert`, most likely first; never empty.
pub fn causes(ctx: &AlertContext<'_>) -> Vec<Cause> {
    let sni = ctx.sni.unwrap_or("");
    let sent = ctx.client_auth.is_some_and(|r| r.sent);
    let asked = ctx.client_auth.is_some();
    let no_sni = || {
        cause(
            "no SNI was sent (the target is an IP address): APISIX/OpenResty then look up \
             `apisix.ssl.fallback_sni` (unset by default) and nginx uses its default server",
            "probe again with --sni NAME (the host name clients use); on APISIX set \
             `apisix.ssl.fallback_sni` in conf/config.yaml to a name that has an SSL object",
        )
    };
    let mut out = Vec::new();
    match ctx.alert {
        "internal_error" => {
            if ctx.sni.is_none() {
                out.push(no_sni());
            }
            if ctx.sni.is_some() {
                out.push(cause(
                    format!(
                        "APISIX/OpenResty: no SSL object matches the SNI `{sni}`, so the certificate \
                         lookup (`ssl_certificate_by_lua`) fails and OpenSSL answers internal_error \
                         (the gateway logs \"failed to find any SSL certificate by SNI\")"
                    ),
                    format!(
                        "add an SSL object whose `snis` include `{sni}` (Admin API `PUT \
                         /apisix/admin/ssls/ID` with cert, key and snis), or send the SNI the \
                         gateway is configured for (--sni)"
                    ),
                ));
            }
            out.push(cause(
                "nginx with `ssl_certificate $variable`: the certificate file for this name is \
                 missing or unreadable, so the certificate callback fails",
                "look for `cannot load certificate` in the server's error.log and fix the path it names",
            ));
            out.push(cause(
                "another server-side failure while choosing or loading the certificate",
                "read the server's error log at the time of the probe",
            ));
        }
        "unrecognized_name" => {
            if ctx.sni.is_none() {
                out.push(no_sni());
            }
            out.push(cause(
                format!(
                    "the server has no certificate for the SNI `{sni}` and rejects names it does \
                     not know (nginx `ssl_reject_handshake on` in the default server)"
                ),
                format!(
                    "probe with the --sni the server is configured for, or add a server block \
                     (nginx `server_name`) or SSL object (APISIX `snis`) for `{sni}`"
                ),
            ));
        }
        "certificate_required" | "no_certificate" => {
            if sent {
                out.push(cause(
                    "the server says no client certificate arrived although one was sent",
                    "check that --cert holds the client certificate (not a CA) and that --key belongs to it",
                ));
            } else {
                if ctx.identity_given {
                    out.push(cause(
                        "a client certificate was given but not sent: its key cannot sign with \
                         any signature scheme the server accepts",
                        "use a client key type the server accepts (ECDSA P-256 or RSA)",
                    ));
                }
                out.push(cause(
                    "the server requires a client certificate (mutual TLS: nginx `ssl_verify_client on`, \
                     APISIX `client.ca` on the SSL object, `openssl s_server -Verify`) and none was sent",
                    "give --cert FILE --key FILE (or a PFX) issued by one of the acceptable CAs \
                     the server listed",
                ));
            }
        }
        "handshake_failure" => {
            if asked && !sent {
                out.push(cause(
                    "the server (TLS 1.2) requires a client certificate and none was sent",
                    "give --cert FILE --key FILE (or a PFX) issued by one of the acceptable CAs \
                     the server listed",
                ));
            }
            if sent {
                out.push(cause(
                    "the server (TLS 1.2) did not accept the client certificate sent",
                    "issue the client certificate from one of the acceptable CAs the server \
                     listed, and send its intermediate with it (--cert with the chain)",
                ));
            }
            out.push(cause(
                "no protocol version, cipher suite or signature algorithm in common with the \
                 server (chainsmith offers TLS 1.2 and 1.3 with modern suites only)",
                "compare with `openssl s_client -connect HOST:PORT -servername NAME` and the \
                 server's ssl_protocols / ssl_ciphers",
            ));
        }
        "unknown_ca" => {
            if sent {
                out.push(cause(
                    "the server cannot build a path from the client certificate to a CA it \
                     trusts: its issuer is not in the server's client CA list (APISIX: the SSL \
                     object's `client.ca`; nginx: `ssl_client_certificate` / \
                     `ssl_trusted_certificate`; openssl s_server: -CAfile)",
                    "issue the client certificate from a CA the server lists, or add its root \
                     (and intermediate) to `client.ca` / `ssl_client_certificate`",
                ));
                out.push(cause(
                    "the client certificate's intermediate was not sent, and the server holds only the root",
                    "put the client certificate followed by its intermediate in --cert, or add \
                     the intermediate to the server's client CA file",
                ));
            } else {
                out.push(cause(
                    "the server rejected a certificate signed by a CA it does not know",
                    "check the server's client CA configuration (`client.ca`, `ssl_client_certificate`)",
                ));
            }
        }
        "bad_certificate" | "unsupported_certificate" | "certificate_unknown" => {
            out.push(cause(
                "the server rejected the client certificate itself: a bad signature, no \
                 clientAuth in its extended key usage, a wrong key usage, or an encoding it \
                 refuses",
                "issue a client certificate with `chainsmith issue --profile client` and check \
                 it with `chainsmith lint`",
            ));
            if ctx.stage == AlertStage::BeforeCertificate {
                out.push(cause(
                    "the server failed to load its own certificate",
                    "read the server's error log",
                ));
            }
        }
        "certificate_expired" => out.push(cause(
            "the client certificate (or a CA above it) is expired or not yet valid at the server's clock",
            "renew it (`chainsmith issue --renew`) and check the server's clock",
        )),
        "certificate_revoked" => out.push(cause(
            "the server's CRL or OCSP says the client certificate is revoked",
            "issue a new client certificate",
        )),
        "access_denied" => out.push(cause(
            "the client certificate is valid but the server's access policy refuses its subject",
            "check which subjects the server allows (an allow-list of names, a verify depth)",
        )),
        "decrypt_error" => out.push(cause(
            "the server could not verify the client's signature (CertificateVerify): the \
             --key does not belong to the --cert",
            "give the key of the client certificate",
        )),
        "protocol_version" | "insufficient_security" | "inappropriate_fallback" => out.push(cause(
            "no TLS version or cipher strength in common: chainsmith offers TLS 1.2 and 1.3",
            "enable TLS 1.2 or 1.3 on the server (nginx `ssl_protocols TLSv1.2 TLSv1.3`)",
        )),
        "no_application_protocol" => out.push(cause(
            "the server requires an ALPN protocol the probe did not offer",
            "check the server's ALPN settings (gRPC-only listeners, say)",
        )),
        _ => {}
    }
    if out.is_empty() {
        out.push(cause(
            format!("the server aborted the handshake with {}", ctx.alert),
            "read the server's error log at the time of the probe",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(
        alert: &'a str,
        sni: Option<&'a str>,
        req: Option<&'a ClientAuthRequest>,
    ) -> AlertContext<'a> {
        AlertContext {
            alert,
            stage: AlertStage::BeforeCertificate,
            sni,
            client_auth: req,
            identity_given: false,
        }
    }

    #[test]
    fn internal_error_names_the_missing_sni_certificate_and_fallback_sni() {
        let with = causes(&ctx("internal_error", Some("api.example.com"), None));
        assert!(
            with[0]
                .cause
                .contains("no SSL object matches the SNI `api.example.com`")
        );
        assert!(with[0].fix.contains("snis"));
        assert!(!with.iter().any(|c| c.fix.contains("fallback_sni")));
        let without = causes(&ctx("internal_error", None, None));
        assert!(without[0].fix.contains("fallback_sni"), "{without:?}");
    }

    #[test]
    fn unknown_ca_points_at_client_ca_only_when_a_certificate_was_sent() {
        let sent = ClientAuthRequest {
            acceptable_cas: vec![],
            sent: true,
        };
        let c = causes(&ctx("unknown_ca", Some("a"), Some(&sent)));
        assert!(c[0].cause.contains("client.ca"), "{c:?}");
        let c = causes(&ctx("unknown_ca", Some("a"), None));
        assert!(!c[0].fix.contains("issue the client certificate"), "{c:?}");
    }

    #[test]
    fn every_alert_gets_at_least_one_cause_with_a_fix() {
        for code in 0..=255u8 {
            let name = crate::tls::alert_name(code);
            let c = causes(&ctx(&name, Some("x"), None));
            assert!(
                !c.is_empty() && c.iter().all(|c| !c.fix.is_empty()),
                "{name}"
            );
        }
    }
}
