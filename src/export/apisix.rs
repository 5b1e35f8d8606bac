//! Apache APISIX: the Admin API SSL object, and the ApisixTls custom
//! resource with the Secrets it references, for the Ingress Controller.
//!
//! The SSL object follows the `ssl` schema in `apisix/schema_def.lua`
//! (apache/apisix): `cert`/`key` for the first certificate, `certs`/`keys`
//! for more certificates of other key types on the same SNIs (RSA beside
//! ECDSA), `client.ca` and `client.depth` (default 1) for mTLS.
use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::{Export, Served, b64, json_text, metadata, yaml};
use crate::fsio::Mode;
use crate::pki::Cert;
use crate::pki::encode::pem_bundle;

/// The client-certificate (mTLS) part of an APISIX SSL object.
pub struct ClientCa<'a> {
    pub certs: Vec<&'a Cert>,
    pub depth: u32,
}

/// Everything `export apisix` writes about.
pub struct Plan<'a> {
    /// Name of the ApisixTls; the Secrets are NAME-tls and NAME-client-ca.
    pub name: String,
    pub namespace: String,
    pub snis: Vec<String>,
    /// The first certificate (`cert`, `key`, and the ApisixTls Secret).
    pub main: Served<'a>,
    /// More certificates for the same SNIs (`certs`, `keys`).
    pub extra: Vec<Served<'a>>,
    pub client: Option<ClientCa<'a>>,
}

/// The APISIX Admin API SSL object (`PUT /apisix/admin/ssls/{id}`).
pub fn ssl(
    snis: &[String],
    main: &Served<'_>,
    extra: &[Served<'_>],
    client: Option<&ClientCa<'_>>,
) -> Value {
    let mut v = json!({
        "snis": snis,
        "cert": pem_bundle(main.chain.iter().copied()),
        "key": main.key_pem.as_str(),
    });
    if let Value::Object(map) = &mut v {
        if !extra.is_empty() {
            map.insert(
                "certs".to_owned(),
                extra
                    .iter()
                    .map(|s| pem_bundle(s.chain.iter().copied()))
                    .collect(),
            );
            map.insert(
                "keys".to_owned(),
                extra.iter().map(|s| s.key_pem.as_str()).collect(),
            );
        }
        if let Some(c) = client {
            map.insert(
                "client".to_owned(),
                json!({ "ca": pem_bundle(c.certs.iter().copied()), "depth": c.depth }),
            );
        }
    }
    v
}

/// The Secret an ApisixTls points at: `cert` (full chain) and `key`.
pub fn secret(name: &str, namespace: &str, chain: &[&Cert], key_pem: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(name, Some(namespace)),
        "type": "Opaque",
        "data": {
            "cert": b64(pem_bundle(chain.iter().copied()).as_bytes()),
            "key": b64(key_pem.as_bytes()),
        },
    })
}

/// The Secret holding the client CA for mTLS (`cert`).
pub fn client_ca_secret(name: &str, namespace: &str, certs: &[&Cert]) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(name, Some(namespace)),
        "type": "Opaque",
        "data": { "cert": b64(pem_bundle(certs.iter().copied()).as_bytes()) },
    })
}

/// The ApisixTls custom resource (apisix.apache.org/v2).
pub fn tls(
    name: &str,
    namespace: &str,
    hosts: &[String],
    secret: &str,
    client: Option<(&str, u32)>,
) -> Value {
    let mut spec = json!({
        "hosts": hosts,
        "secret": { "name": secret, "namespace": namespace },
    });
    if let (Some((ca_secret, depth)), Value::Object(map)) = (client, &mut spec) {
        map.insert(
            "client".to_owned(),
            json!({
                "caSecret": { "name": ca_secret, "namespace": namespace },
                "depth": depth,
            }),
        );
    }
    json!({
        "apiVersion": "apisix.apache.org/v2",
        "kind": "ApisixTls",
        "metadata": metadata(name, Some(namespace)),
        "spec": spec,
    })
}

/// Every file of `export apisix`, in writing order.
pub fn files<'a>(p: &Plan<'_>) -> Export<'a> {
    let ns = p.namespace.as_str();
    let tls_secret = format!("{}-tls", p.name);
    let ca_secret = format!("{}-client-ca", p.name);
    let mut e = Export::default();
    let ssl = ssl(&p.snis, &p.main, &p.extra, p.client.as_ref());
    e.add_secret("apisix-ssl.json", Zeroizing::new(json_text(&ssl)));
    e.add(
        "apisix-tls.yaml",
        yaml::document(&tls(
            &p.name,
            ns,
            &p.snis,
            &tls_secret,
            p.client.as_ref().map(|c| (ca_secret.as_str(), c.depth)),
        )),
        Mode::Public,
    );
    e.add_secret(
        "apisix-secret.yaml",
        Zeroizing::new(yaml::document(&secret(
            &tls_secret,
            ns,
            &p.main.chain,
            &p.main.key_pem,
        ))),
    );
    e.list(
        "apisix-ssl.json",
        "Admin API SSL object (0600): PUT /apisix/admin/ssls/{id}",
    );
    e.list("apisix-tls.yaml", "ApisixTls for the ingress controller");
    e.list("apisix-secret.yaml", "Secret with cert and key (0600)");
    if let Some(c) = &p.client {
        e.add(
            "apisix-client-ca-secret.yaml",
            yaml::document(&client_ca_secret(&ca_secret, ns, &c.certs)),
            Mode::Public,
        );
        e.list(
            "apisix-client-ca-secret.yaml",
            "Secret with the client CA (mTLS)",
        );
    }
    e.tail = tail(p);
    e
}

fn tail(p: &Plan<'_>) -> String {
    let shown: Vec<String> = p
        .snis
        .iter()
        .map(|s| crate::report::escape(s).into_owned())
        .collect();
    let mut text = format!("  snis: {}\n", shown.join(", "));
    if !p.extra.is_empty() {
        let kinds: Vec<String> = std::iter::once(&p.main)
            .chain(&p.extra)
            .map(|s| s.chain[0].key.to_string())
            .collect();
        text.push_str(&format!(
            "  certificates: {} (cert/key, then certs/keys); ApisixTls serves the first only\n",
            kinds.join(", ")
        ));
    }
    if let Some(c) = &p.client {
        text.push_str(&format!(
            "  mTLS: {} client CA certificate(s), depth {}\n",
            c.certs.len(),
            c.depth
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testutil::load_certs;

    /// `cert` served alone, with a stand-in key.
    fn served<'a>(cert: &'a Cert, key: &str) -> Served<'a> {
        Served {
            chain: vec![cert],
            key_pem: Zeroizing::new(key.to_owned()),
        }
    }

    #[test]
    fn certs_and_keys_only_with_extra_certificates() {
        let certs = load_certs("ca-bundle.pem");
        let main = served(&certs[0], "K1");
        let snis = vec!["a.example".to_owned()];
        let alone = ssl(&snis, &main, &[], None);
        assert!(alone.get("certs").is_none() && alone.get("keys").is_none());
        assert!(alone.get("client").is_none());
        let extra = served(&certs[1], "K2");
        let both = ssl(&snis, &main, std::slice::from_ref(&extra), None);
        assert_eq!(both["key"], "K1");
        assert_eq!(both["keys"], json!(["K2"]));
        assert_eq!(both["certs"][0], certs[1].to_pem());
    }

    #[test]
    fn client_depth_is_always_written() {
        let certs = load_certs("ca-bundle.pem");
        let main = served(&certs[0], "K");
        let client = ClientCa {
            certs: vec![&certs[1]],
            depth: 2,
        };
        let v = ssl(&["a.example".to_owned()], &main, &[], Some(&client));
        assert_eq!(v["client"]["depth"], 2);
        let t = tls(
            "n",
            "ns",
            &["a.example".to_owned()],
            "n-tls",
            Some(("n-client-ca", 2)),
        );
        assert_eq!(t["spec"]["client"]["depth"], 2);
        assert_eq!(t["spec"]["secret"]["name"], "n-tls");
    }
}
