//! Kubernetes: a CA bundle Secret and a Deployment patch that points
//! `SSL_CERT_FILE` at it (pod trust), and a `kubernetes.io/tls` Secret.
use std::path::Path;

use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::{Export, Served, b64, ca_bundle_pem, metadata, yaml};
use crate::fsio::Mode;
use crate::pki::Cert;
use crate::pki::encode::pem_bundle;

/// The file name of the bundle inside the CA Secret (and so in the mount).
pub const BUNDLE_KEY: &str = "ca-bundle.crt";

/// The CA half: which container of which Deployment trusts which CAs.
pub struct CaTrust<'a> {
    pub deployment: String,
    pub container: String,
    /// Absolute, without a trailing slash.
    pub mount_path: String,
    pub certs: Vec<&'a Cert>,
}

/// Everything `export k8s` writes about.
pub struct Plan<'a> {
    /// Base name: the Secrets are NAME-ca and NAME-tls.
    pub name: String,
    pub namespace: Option<String>,
    pub ca: Option<CaTrust<'a>>,
    pub tls: Option<Served<'a>>,
}

/// An Opaque Secret holding `ca-bundle.crt`.
pub fn ca_secret(name: &str, namespace: Option<&str>, bundle_pem: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(name, namespace),
        "type": "Opaque",
        "data": { BUNDLE_KEY: b64(bundle_pem.as_bytes()) },
    })
}

/// A `kubernetes.io/tls` Secret: `tls.crt` (leaf then intermediates) and `tls.key`.
pub fn tls_secret(name: &str, namespace: Option<&str>, chain: &[&Cert], key_pem: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(name, namespace),
        "type": "kubernetes.io/tls",
        "data": {
            "tls.crt": b64(pem_bundle(chain.iter().copied()).as_bytes()),
            "tls.key": b64(key_pem.as_bytes()),
        },
    })
}

/// The path `SSL_CERT_FILE` gets: the bundle inside the mounted directory.
pub fn ssl_cert_file(mount_path: &str) -> String {
    format!("{}/{BUNDLE_KEY}", mount_path.trim_end_matches('/'))
}

/// A strategic-merge patch for a Deployment: mount the CA Secret as a
/// directory (never `subPath`: a subPath mount never sees a rotated Secret)
/// and point `SSL_CERT_FILE` at the bundle in it.
pub fn deployment_patch(
    deployment: &str,
    namespace: Option<&str>,
    container: &str,
    secret: &str,
    volume: &str,
    mount_path: &str,
) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(deployment, namespace),
        "spec": { "template": { "spec": {
            "containers": [{
                "name": container,
                "env": [{ "name": "SSL_CERT_FILE", "value": ssl_cert_file(mount_path) }],
                "volumeMounts": [{
                    "name": volume,
                    "mountPath": mount_path.trim_end_matches('/'),
                    "readOnly": true,
                }],
            }],
            "volumes": [{
                "name": volume,
                "secret": { "secretName": secret },
            }],
        }}},
    })
}

/// The CA Secret and the Deployment patch, with their next steps.
fn ca_files(
    e: &mut Export<'_>,
    hints: &mut Vec<String>,
    p: &Plan<'_>,
    ca: &CaTrust<'_>,
    out: &Path,
) {
    let ns = p.namespace.as_deref();
    let ns_flag = ns.map(|n| format!(" --namespace {n}")).unwrap_or_default();
    let secret = format!("{}-ca", p.name);
    e.add(
        "ca-secret.yaml",
        yaml::document(&ca_secret(&secret, ns, &ca_bundle_pem(&ca.certs))),
        Mode::Public,
    );
    e.add(
        "deployment-patch.yaml",
        yaml::document(&deployment_patch(
            &ca.deployment,
            ns,
            &ca.container,
            &secret,
            &secret,
            &ca.mount_path,
        )),
        Mode::Public,
    );
    e.list("ca-secret.yaml", "Opaque Secret holding ca-bundle.crt");
    e.list(
        "deployment-patch.yaml",
        "mounts it (no subPath) and sets SSL_CERT_FILE",
    );
    hints.push(format!(
        "kubectl apply{ns_flag} -f {}",
        out.join("ca-secret.yaml").display()
    ));
    hints.push(format!(
        "kubectl patch deployment {}{ns_flag} --patch-file {}",
        ca.deployment,
        out.join("deployment-patch.yaml").display()
    ));
    hints.push(format!(
        "SSL_CERT_FILE={} in container {}",
        ssl_cert_file(&ca.mount_path),
        ca.container
    ));
}

/// Every file of `export k8s`, in writing order; `out` names them in the
/// next steps printed after the summary.
pub fn files<'a>(p: &Plan<'_>, out: &Path) -> Export<'a> {
    let ns = p.namespace.as_deref();
    let mut e = Export::default();
    let mut hints: Vec<String> = Vec::new();
    if let Some(ca) = &p.ca {
        ca_files(&mut e, &mut hints, p, ca, out);
    }
    if let Some(tls) = &p.tls {
        let secret = format!("{}-tls", p.name);
        e.add_secret(
            "tls-secret.yaml",
            Zeroizing::new(yaml::document(&tls_secret(
                &secret,
                ns,
                &tls.chain,
                &tls.key_pem,
            ))),
        );
        e.list("tls-secret.yaml", "kubernetes.io/tls Secret (0600)");
        let ns_flag = ns.map(|n| format!(" --namespace {n}")).unwrap_or_default();
        hints.push(format!(
            "kubectl apply{ns_flag} -f {}",
            out.join("tls-secret.yaml").display()
        ));
    }
    e.tail = String::from("next:\n");
    for h in hints {
        e.tail
            .push_str(&format!("  {}\n", crate::report::escape_text(&h)));
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssl_cert_file_is_inside_the_mount() {
        assert_eq!(
            ssl_cert_file("/etc/chainsmith/ca/"),
            "/etc/chainsmith/ca/ca-bundle.crt"
        );
    }
}
