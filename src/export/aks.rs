//! AKS node trust: the custom CA trust feature installs up to 10 CA
//! certificates in the trust store of every Linux node (containerd, kubelet,
//! pulls from a private registry). It is node trust, not pod trust: a
//! container still trusts only what its image and `SSL_CERT_FILE` say
//! (`export k8s`).
//!
//! Two routes, both from MicrosoftDocs/azure-docs
//! `articles/aks/custom-certificate-authority.md`:
//! - `az aks create|update --custom-ca-trust-certificates FILE`: PEM
//!   certificates separated by a blank line, LF only, not base64;
//! - a Secret `kube-system/custom-ca-trust-secret` whose `data` values are
//!   the base64 of each PEM certificate; the nodes poll it, so a CA is
//!   rotated without recreating nodes.
use std::path::Path;

use serde_json::{Map, Value, json};

use super::{Export, b64, ca_bundle_pem, yaml};
use crate::fsio::Mode;
use crate::pki::Cert;

/// AKS takes at most this many custom CA certificates.
pub const MAX_CA: usize = 10;
/// The Secret's fixed name and namespace.
pub const SECRET_NAME: &str = "custom-ca-trust-secret";
pub const SECRET_NAMESPACE: &str = "kube-system";
/// The file for `az aks update --custom-ca-trust-certificates`.
pub const CLI_FILE: &str = "custom-ca-trust-certificates.pem";
/// The Secret manifest.
pub const SECRET_FILE: &str = "custom-ca-trust-secret.yaml";

/// `kube-system/custom-ca-trust-secret`: one key per certificate, `ca1.crt`,
/// `ca2.crt`, ..., each the base64 of that certificate's PEM (LF only).
pub fn trust_secret(certs: &[&Cert]) -> Value {
    let mut data = Map::new();
    for (i, c) in certs.iter().enumerate() {
        data.insert(
            format!("ca{}.crt", i + 1),
            Value::String(b64(c.to_pem().as_bytes())),
        );
    }
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": { "name": SECRET_NAME, "namespace": SECRET_NAMESPACE },
        "type": "Opaque",
        "data": data,
    })
}

/// Both files of `export aks`; `out` names them in the next steps.
pub fn files<'a>(certs: &[&Cert], out: &Path) -> Export<'a> {
    let mut e = Export::default();
    e.add(
        SECRET_FILE,
        yaml::document(&trust_secret(certs)),
        Mode::Public,
    );
    e.add(CLI_FILE, ca_bundle_pem(certs), Mode::Public);
    e.list(
        SECRET_FILE,
        "Secret kube-system/custom-ca-trust-secret (rotates without new nodes)",
    );
    e.list(
        CLI_FILE,
        "for az aks create|update --custom-ca-trust-certificates",
    );
    e.tail = format!(
        "next (Linux node pools only; node trust, not pod trust):\n  \
         kubectl apply -f {}\n  \
         or: az aks update --resource-group RG --name CLUSTER --custom-ca-trust-certificates {}\n",
        crate::report::escape_path(&out.join(SECRET_FILE)),
        crate::report::escape_path(&out.join(CLI_FILE)),
    );
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::testutil::load_certs;

    #[test]
    fn one_key_per_certificate_in_order() {
        let certs = load_certs("ca-bundle.pem");
        let refs: Vec<&Cert> = certs.iter().collect();
        let v = trust_secret(&refs);
        assert_eq!(v["metadata"]["name"], SECRET_NAME);
        assert_eq!(v["metadata"]["namespace"], SECRET_NAMESPACE);
        let data = v["data"].as_object().unwrap();
        let keys: Vec<&String> = data.keys().collect();
        let want: Vec<String> = (1..=certs.len()).map(|i| format!("ca{i}.crt")).collect();
        assert_eq!(keys, want.iter().collect::<Vec<_>>());
        assert_eq!(data["ca1.crt"], b64(certs[0].to_pem().as_bytes()));
    }

    #[test]
    fn no_certificate_no_key() {
        let v = trust_secret(&[]);
        assert!(v["data"].as_object().unwrap().is_empty());
    }
}
