//! Deployment artefacts for gateways and Kubernetes, built as pure data:
//! every function here takes certificates (and key PEM) and returns file
//! contents; `commands::export` reads the inputs and writes the files.
pub mod yaml;

use base64::Engine;
use serde_json::{Value, json};

use crate::pki::Cert;
use crate::pki::encode::pem_bundle;

/// APIM accepts at most this many CA certificates per instance.
pub const APIM_MAX_CA: usize = 10;
/// The ARM API version the script calls (Certificates and gateway CA APIs are GA in it).
pub const APIM_API_VERSION: &str = "2022-08-01";

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Pretty JSON with a final newline.
pub fn json_text(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// PEM certificates with a blank line between them (LF only), the form
/// AKS custom CA trust and `SSL_CERT_FILE` readers all take (CS403).
pub fn ca_bundle_pem(certs: &[&Cert]) -> String {
    certs
        .iter()
        .map(|c| c.to_pem())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Is `s` an RFC 1123 DNS label (Kubernetes namespaces, container and volume names)?
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Is `s` an RFC 1123 subdomain (Kubernetes object names)?
pub fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

// ---------------------------------------------------------------- APIM

/// Which APIM certificate store a CA certificate goes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApimStore {
    Root,
    CertificateAuthority,
}

impl ApimStore {
    pub fn as_str(self) -> &'static str {
        match self {
            ApimStore::Root => "Root",
            ApimStore::CertificateAuthority => "CertificateAuthority",
        }
    }
}

/// Which Azure cloud the script talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    Public,
    China,
}

impl Cloud {
    pub fn endpoint(self) -> &'static str {
        match self {
            Cloud::Public => "https://management.azure.com",
            Cloud::China => "https://management.chinacloudapi.cn",
        }
    }
    /// The name `az cloud show` reports.
    pub fn az_name(self) -> &'static str {
        match self {
            Cloud::Public => "AzureCloud",
            Cloud::China => "AzureChinaCloud",
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Cloud::Public => "public",
            Cloud::China => "china",
        }
    }
}

/// One CA certificate prepared for APIM.
pub struct ApimCa<'a> {
    pub cert: &'a Cert,
    pub store: ApimStore,
    /// File stem: `root`, `intermediate`, `intermediate-2`, ...
    pub base: String,
    /// The APIM certificate id (stable: derived from the thumbprint).
    pub id: String,
}

impl ApimCa<'_> {
    pub fn cer_file(&self) -> String {
        format!("{}.cer", self.base)
    }
    pub fn certificate_body_file(&self) -> String {
        format!("certificate-{}.json", self.base)
    }
    pub fn gateway_ca_body_file(&self) -> String {
        format!("gateway-ca-{}.json", self.base)
    }
}

/// Name the CA certificates: roots first, then intermediates, in the given order.
pub fn apim_plan<'a>(cas: &[(&'a Cert, ApimStore)]) -> Vec<ApimCa<'a>> {
    let mut out = Vec::with_capacity(cas.len());
    for store in [ApimStore::Root, ApimStore::CertificateAuthority] {
        let stem = match store {
            ApimStore::Root => "root",
            ApimStore::CertificateAuthority => "intermediate",
        };
        let mut n = 0;
        for (cert, s) in cas.iter().filter(|(_, s)| *s == store) {
            n += 1;
            let base = if n == 1 {
                stem.to_owned()
            } else {
                format!("{stem}-{n}")
            };
            let id = format!(
                "chainsmith-{stem}-{}",
                &cert.thumbprint().to_lowercase()[..16]
            );
            out.push(ApimCa {
                cert,
                store: *s,
                base,
                id,
            });
        }
    }
    out
}

/// Body of `PUT .../gateways/{gw}/certificateAuthorities/{id}`.
pub fn apim_gateway_ca_body(store: ApimStore) -> Value {
    json!({ "properties": { "isTrusted": store == ApimStore::Root } })
}

/// Body of `PUT .../certificates/{id}`: a certificate-only PFX and its password.
pub fn apim_certificate_body(pfx: &[u8], password: &str) -> Value {
    json!({ "properties": { "data": b64(pfx), "password": password } })
}

/// `manifest.json`: what went where, for scripts.
pub fn apim_manifest(plan: &[ApimCa<'_>], cloud: Cloud) -> Value {
    json!({
        "version": 1,
        "target": "apim",
        "cloud": cloud.as_str(),
        "management_endpoint": cloud.endpoint(),
        "api_version": APIM_API_VERSION,
        "certificates": plan.iter().map(|ca| json!({
            "file": ca.cer_file(),
            "store": ca.store.as_str(),
            "certificate_id": ca.id,
            "is_trusted": ca.store == ApimStore::Root,
            "subject": ca.cert.subject,
            "issuer": ca.cert.issuer,
            "not_after": ca.cert.not_after.format(&::time::format_description::well_known::Rfc3339).unwrap_or_default(),
            "sha1_thumbprint": ca.cert.thumbprint(),
            "sha256_fingerprint": ca.cert.fingerprint(),
            "certificate_body": ca.certificate_body_file(),
            "gateway_ca_body": ca.gateway_ca_body_file(),
        })).collect::<Vec<_>>(),
    })
}

/// The file/store table shown on stdout and in README.txt.
pub fn apim_table(plan: &[ApimCa<'_>]) -> String {
    let mut s = format!(
        "  {:<22} {:<21} {:<41} {}\n",
        "file", "store", "thumbprint (SHA-1)", "subject"
    );
    for ca in plan {
        s.push_str(&format!(
            "  {:<22} {:<21} {:<41} {}\n",
            ca.cer_file(),
            ca.store.as_str(),
            ca.cert.thumbprint(),
            crate::report::escape(&ca.cert.subject)
        ));
    }
    s
}

/// `README.txt` for the APIM directory.
pub fn apim_readme(plan: &[ApimCa<'_>], cloud: Cloud) -> String {
    format!(
        "chainsmith export apim\n\
         ======================\n\n\
         CA certificates for Azure API Management, one DER .cer file each:\n\n\
         {table}\n\
         Managed gateway (portal): API Management > Security > CA certificates > + Add,\n\
         upload each .cer file and pick the store shown above (Root for the self-signed\n\
         root, CertificateAuthority for intermediates). Never upload the server certificate.\n\n\
         Self-hosted gateway: run the script (Azure CLI, logged in to the {cloud} cloud):\n\n\
         \x20   bash apim-upload.sh SUBSCRIPTION_ID RESOURCE_GROUP SERVICE_NAME GATEWAY_NAME\n\n\
         It creates each certificate with the Certificates API (certificate-*.json: a\n\
         certificate-only PFX and its password; these files are readable by you only)\n\
         and adds it to the gateway with the Certificate Authority API\n\
         (gateway-ca-*.json: isTrusted true for the root, false for intermediates).\n\
         Management endpoint: {endpoint}, api-version {api}.\n\n\
         manifest.json lists the same in machine-readable form.\n",
        table = apim_table(plan),
        cloud = cloud.as_str(),
        endpoint = cloud.endpoint(),
        api = APIM_API_VERSION,
    )
}

/// `apim-upload.sh`: `az rest` calls for the Certificates and gateway CA APIs.
/// It reads the body files next to it and never holds the password itself.
pub fn apim_script(plan: &[ApimCa<'_>], cloud: Cloud) -> String {
    let mut s = format!(
        r#"#!/usr/bin/env bash
# Written by `chainsmith export apim`. Uploads the CA certificates to Azure API
# Management with the Certificates API, then trusts them on a self-hosted
# gateway with the gateway Certificate Authority API.
# Usage: bash apim-upload.sh SUBSCRIPTION_ID RESOURCE_GROUP SERVICE_NAME GATEWAY_NAME
set -euo pipefail
if [ "$#" -ne 4 ]; then
  echo "usage: bash $0 SUBSCRIPTION_ID RESOURCE_GROUP SERVICE_NAME GATEWAY_NAME" >&2
  exit 2
fi
sub="$1"
rg="$2"
service="$3"
gateway="$4"
cd "$(dirname "$0")"
command -v az >/dev/null || {{ echo "the Azure CLI (az) is not installed" >&2; exit 2; }}
cloud="$(az cloud show --query name --output tsv)"
if [ "$cloud" != "{az_cloud}" ]; then
  echo "az is set to the cloud $cloud; run: az cloud set --name {az_cloud} && az login" >&2
  exit 2
fi
endpoint="{endpoint}"
api="api-version={api}"
base="$endpoint/subscriptions/$sub/resourceGroups/$rg/providers/Microsoft.ApiManagement/service/$service"

# 1. Certificates API: one certificate-only PFX per CA certificate.
"#,
        az_cloud = cloud.az_name(),
        endpoint = cloud.endpoint(),
        api = APIM_API_VERSION,
    );
    for ca in plan {
        s.push_str(&format!(
            "echo \"certificate {id} ({file}, store {store})\"\naz rest --method put --url \"$base/certificates/{id}?$api\" --body @{body} --output none\n",
            id = ca.id,
            file = ca.cer_file(),
            store = ca.store.as_str(),
            body = ca.certificate_body_file(),
        ));
    }
    s.push_str("\n# 2. Gateway Certificate Authority API: isTrusted true for the root only.\n");
    for ca in plan {
        s.push_str(&format!(
            "echo \"gateway $gateway trusts {id}\"\naz rest --method put --url \"$base/gateways/$gateway/certificateAuthorities/{id}?$api\" --body @{body} --output none\n",
            id = ca.id,
            body = ca.gateway_ca_body_file(),
        ));
    }
    s
}

// ---------------------------------------------------------------- APISIX

/// The client-certificate (mTLS) part of an APISIX SSL object.
pub struct ClientCa<'a> {
    pub certs: Vec<&'a Cert>,
    pub depth: u32,
}

/// The APISIX Admin API SSL object (`PUT /apisix/admin/ssls/{id}`).
pub fn apisix_ssl(
    snis: &[String],
    chain: &[&Cert],
    key_pem: &str,
    client: Option<&ClientCa<'_>>,
) -> Value {
    let mut v = json!({
        "snis": snis,
        "cert": pem_bundle(chain.iter().copied()),
        "key": key_pem,
    });
    if let (Some(c), Value::Object(map)) = (client, &mut v) {
        map.insert(
            "client".to_owned(),
            json!({ "ca": pem_bundle(c.certs.iter().copied()), "depth": c.depth }),
        );
    }
    v
}

fn metadata(name: &str, namespace: Option<&str>) -> Value {
    match namespace {
        Some(ns) => json!({ "name": name, "namespace": ns }),
        None => json!({ "name": name }),
    }
}

/// The Secret an ApisixTls points at: `cert` (full chain) and `key`.
pub fn apisix_secret(name: &str, namespace: &str, chain: &[&Cert], key_pem: &str) -> Value {
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
pub fn apisix_client_ca_secret(name: &str, namespace: &str, certs: &[&Cert]) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(name, Some(namespace)),
        "type": "Opaque",
        "data": { "cert": b64(pem_bundle(certs.iter().copied()).as_bytes()) },
    })
}

/// The ApisixTls custom resource (apisix.apache.org/v2).
pub fn apisix_tls(
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

// ---------------------------------------------------------------- Kubernetes

/// The file name of the bundle inside the CA Secret (and so in the mount).
pub const K8S_BUNDLE_KEY: &str = "ca-bundle.crt";

/// An Opaque Secret holding `ca-bundle.crt`.
pub fn k8s_ca_secret(name: &str, namespace: Option<&str>, bundle_pem: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(name, namespace),
        "type": "Opaque",
        "data": { K8S_BUNDLE_KEY: b64(bundle_pem.as_bytes()) },
    })
}

/// A `kubernetes.io/tls` Secret: `tls.crt` (leaf then intermediates) and `tls.key`.
pub fn k8s_tls_secret(
    name: &str,
    namespace: Option<&str>,
    chain: &[&Cert],
    key_pem: &str,
) -> Value {
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
pub fn k8s_ssl_cert_file(mount_path: &str) -> String {
    format!("{}/{K8S_BUNDLE_KEY}", mount_path.trim_end_matches('/'))
}

/// A strategic-merge patch for a Deployment: mount the CA Secret as a
/// directory (never `subPath`: a subPath mount never sees a rotated Secret)
/// and point `SSL_CERT_FILE` at the bundle in it.
pub fn k8s_deployment_patch(
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
                "env": [{ "name": "SSL_CERT_FILE", "value": k8s_ssl_cert_file(mount_path) }],
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names() {
        assert!(is_dns_label("chainsmith-ca"));
        assert!(!is_dns_label("Chainsmith"));
        assert!(!is_dns_label("-a"));
        assert!(!is_dns_label(&"a".repeat(64)));
        assert!(is_dns_subdomain("my.app"));
        assert!(!is_dns_subdomain("my..app"));
    }

    #[test]
    fn ssl_cert_file_is_inside_the_mount() {
        assert_eq!(
            k8s_ssl_cert_file("/etc/chainsmith/ca/"),
            "/etc/chainsmith/ca/ca-bundle.crt"
        );
    }

    #[test]
    fn gateway_ca_trusts_only_the_root() {
        assert_eq!(
            apim_gateway_ca_body(ApimStore::Root).to_string(),
            r#"{"properties":{"isTrusted":true}}"#
        );
        assert_eq!(
            apim_gateway_ca_body(ApimStore::CertificateAuthority).to_string(),
            r#"{"properties":{"isTrusted":false}}"#
        );
    }
}
