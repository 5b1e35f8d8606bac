//! Azure API Management: the files for the classic tiers (DER `.cer` files
//! for the CA certificates page, Certificates and gateway Certificate
//! Authority API bodies, an `az rest` script) and for the v2 tiers (a backend
//! entity that names the certificates it trusts).
use serde_json::{Value, json};

use super::{Body, Export, OutFile, json_text};
use crate::fsio::Mode;
use crate::pki::Cert;
use crate::pki::model::rfc3339;

/// APIM accepts at most this many CA certificates per instance.
pub const APIM_MAX_CA: usize = 10;
/// The ARM API version the classic script calls (Certificates and gateway CA APIs are GA in it).
pub const APIM_API_VERSION: &str = "2022-08-01";
/// The ARM API version of the v2 backend body: its published examples put
/// `serverCertificateThumbprints` and `serverX509Names` in the backend's
/// `properties.tls` (azure-rest-api-specs,
/// `specification/apimanagement/resource-manager/Microsoft.ApiManagement/preview/2025-03-01-preview/examples/ApiManagementCreateBackendWithCustomAssignedCertificate_X509Names.json`;
/// the `@azure/arm-apimanagement` samples of 2025-03-01-preview and
/// 2025-09-01-preview pass the same `tls` object).
pub const APIM_V2_API_VERSION: &str = "2025-03-01-preview";

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
pub fn plan<'a>(cas: &[(&'a Cert, ApimStore)]) -> Vec<ApimCa<'a>> {
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

/// Every file of the classic tiers, in writing order. The Certificates API
/// bodies wait for the PFX password.
pub fn classic_files<'a>(plan: &[ApimCa<'a>], cloud: Cloud) -> Export<'a> {
    let mut e = Export::default();
    for ca in plan {
        e.add(ca.cer_file(), ca.cert.der.clone(), Mode::Public);
        e.add(
            ca.gateway_ca_body_file(),
            json_text(&gateway_ca_body(ca.store)),
            Mode::Public,
        );
        e.files.push(OutFile {
            name: ca.certificate_body_file(),
            mode: Mode::Secret,
            body: Body::PfxBody(ca.cert),
        });
    }
    e.add("README.txt", readme(plan, cloud), Mode::Public);
    e.add(
        "manifest.json",
        json_text(&manifest(plan, cloud)),
        Mode::Public,
    );
    e.add("apim-upload.sh", script(plan, cloud), Mode::Public);
    e.list(
        "*.cer",
        "upload on the CA certificates page, store as below",
    );
    e.list(
        "certificate-*.json",
        "Certificates API bodies (PFX + password, 0600)",
    );
    e.list(
        "gateway-ca-*.json",
        "gateway Certificate Authority API bodies",
    );
    e.list(
        "apim-upload.sh",
        "bash apim-upload.sh SUBSCRIPTION_ID RESOURCE_GROUP SERVICE_NAME GATEWAY_NAME",
    );
    e.list(
        "README.txt, manifest.json",
        "the same, for people and scripts",
    );
    e.tail = format!("\n{}", table(plan));
    e
}

/// Body of `PUT .../gateways/{gw}/certificateAuthorities/{id}`.
pub fn gateway_ca_body(store: ApimStore) -> Value {
    json!({ "properties": { "isTrusted": store == ApimStore::Root } })
}

/// Body of `PUT .../certificates/{id}`: a certificate-only PFX and its password.
pub fn certificate_body(pfx: &[u8], password: &str) -> Value {
    json!({ "properties": { "data": super::b64(pfx), "password": password } })
}

/// `manifest.json`: what went where, for scripts.
pub fn manifest(plan: &[ApimCa<'_>], cloud: Cloud) -> Value {
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
            "not_after": rfc3339(ca.cert.not_after),
            "sha1_thumbprint": ca.cert.thumbprint(),
            "sha256_fingerprint": ca.cert.fingerprint(),
            "certificate_body": ca.certificate_body_file(),
            "gateway_ca_body": ca.gateway_ca_body_file(),
        })).collect::<Vec<_>>(),
    })
}

/// The file/store table shown on stdout and in README.txt.
pub fn table(plan: &[ApimCa<'_>]) -> String {
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
pub fn readme(plan: &[ApimCa<'_>], cloud: Cloud) -> String {
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
        table = table(plan),
        cloud = cloud.as_str(),
        endpoint = cloud.endpoint(),
        api = APIM_API_VERSION,
    )
}

/// The script arguments every APIM script takes: (shell variable, usage name).
const SUBSCRIPTION: (&str, &str) = ("sub", "SUBSCRIPTION_ID");
const RESOURCE_GROUP: (&str, &str) = ("rg", "RESOURCE_GROUP");
const SERVICE: (&str, &str) = ("service", "SERVICE_NAME");

/// The first lines of an `az rest` script named `file`: the shebang, the
/// `comment` (whole `#` lines), the usage line, and the check that binds
/// each of `params` (shell variable, usage name) to its positional argument.
fn script_start(comment: &str, file: &str, params: &[(&str, &str)]) -> String {
    let usage: Vec<&str> = params.iter().map(|(_, name)| *name).collect();
    let usage = usage.join(" ");
    let mut s = format!(
        "#!/usr/bin/env bash\n{comment}# Usage: bash {file} {usage}\nset -euo pipefail\n\
         if [ \"$#\" -ne {n} ]; then\n  echo \"usage: bash $0 {usage}\" >&2\n  exit 2\nfi\n",
        n = params.len()
    );
    for (i, (var, _)) in params.iter().enumerate() {
        s.push_str(&format!("{var}=\"${}\"\n", i + 1));
    }
    s
}

/// The part of both scripts after the arguments: `az` on the right cloud,
/// then `$endpoint`, `$api` and `$base`.
fn script_setup(cloud: Cloud, api: &str) -> String {
    format!(
        r#"cd "$(dirname "$0")"
command -v az >/dev/null || {{ echo "the Azure CLI (az) is not installed" >&2; exit 2; }}
cloud="$(az cloud show --query name --output tsv)"
if [ "$cloud" != "{az_cloud}" ]; then
  echo "az is set to the cloud $cloud; run: az cloud set --name {az_cloud} && az login" >&2
  exit 2
fi
endpoint="{endpoint}"
api="api-version={api}"
base="$endpoint/subscriptions/$sub/resourceGroups/$rg/providers/Microsoft.ApiManagement/service/$service"
"#,
        az_cloud = cloud.az_name(),
        endpoint = cloud.endpoint(),
    )
}

/// A script step: say `what`, then `az rest` PUT of the file `body` to
/// `$base/PATH`.
fn az_put(what: &str, path: &str, body: &str) -> String {
    format!(
        "echo \"{what}\"\naz rest --method put --url \"$base/{path}?$api\" --body @{body} --output none\n"
    )
}

/// `apim-upload.sh`: `az rest` calls for the Certificates and gateway CA APIs.
/// It reads the body files next to it and never holds the password itself.
pub fn script(plan: &[ApimCa<'_>], cloud: Cloud) -> String {
    let mut s = script_start(
        "# Written by `chainsmith export apim`. Uploads the CA certificates to Azure API
# Management with the Certificates API, then trusts them on a self-hosted
# gateway with the gateway Certificate Authority API.
",
        "apim-upload.sh",
        &[
            SUBSCRIPTION,
            RESOURCE_GROUP,
            SERVICE,
            ("gateway", "GATEWAY_NAME"),
        ],
    );
    s.push_str(&script_setup(cloud, APIM_API_VERSION));
    s.push_str("\n# 1. Certificates API: one certificate-only PFX per CA certificate.\n");
    for ca in plan {
        s.push_str(&az_put(
            &format!(
                "certificate {id} ({file}, store {store})",
                id = ca.id,
                file = ca.cer_file(),
                store = ca.store.as_str(),
            ),
            &format!("certificates/{}", ca.id),
            &ca.certificate_body_file(),
        ));
    }
    s.push_str("\n# 2. Gateway Certificate Authority API: isTrusted true for the root only.\n");
    for ca in plan {
        s.push_str(&az_put(
            &format!("gateway $gateway trusts {}", ca.id),
            &format!("gateways/$gateway/certificateAuthorities/{}", ca.id),
            &ca.gateway_ca_body_file(),
        ));
    }
    s
}

// ---------------------------------------------------------------- v2 tiers

/// A backend entity for the v2 tiers, which trust a backend's private CA
/// through the backend, not through the global CA certificate list.
pub struct V2Backend<'a> {
    /// The backend id (`PUT .../backends/{id}`).
    pub id: String,
    /// The backend's runtime URL.
    pub url: String,
    /// The name the backend's certificate must carry (`serverX509Names[].name`).
    pub server_name: String,
    /// The CAs that issue the backend's certificate: each becomes an
    /// `issuerCertificateThumbprint`, so a renewed server certificate from
    /// the same CA is still trusted.
    pub issuers: Vec<&'a Cert>,
    pub cloud: Cloud,
}

/// Body of `PUT .../backends/{id}?api-version=2025-03-01-preview`, in the
/// shape of that version's published example: `properties.tls`.
pub fn v2_backend_body(b: &V2Backend<'_>) -> Value {
    json!({
        "properties": {
            "description": "Backend whose certificate chains to a private CA (written by chainsmith)",
            "url": b.url,
            "protocol": "http",
            "tls": {
                "validateCertificateChain": true,
                "validateCertificateName": true,
                "serverX509Names": b.issuers.iter().map(|c| json!({
                    "name": b.server_name,
                    "issuerCertificateThumbprint": c.thumbprint(),
                })).collect::<Vec<_>>(),
            },
        },
    })
}

fn v2_manifest(b: &V2Backend<'_>) -> Value {
    json!({
        "version": 1,
        "target": "apim",
        "tier": "v2",
        "cloud": b.cloud.as_str(),
        "management_endpoint": b.cloud.endpoint(),
        "api_version": APIM_V2_API_VERSION,
        "backend_id": b.id,
        "url": b.url,
        "backend_body": "backend.json",
        "server_x509_names": b.issuers.iter().map(|c| json!({
            "name": b.server_name,
            "issuer_subject": c.subject,
            "issuer_sha1_thumbprint": c.thumbprint(),
            "issuer_not_after": rfc3339(c.not_after),
        })).collect::<Vec<_>>(),
    })
}

fn v2_readme(b: &V2Backend<'_>) -> String {
    let mut issuers = String::new();
    for c in &b.issuers {
        issuers.push_str(&format!(
            "  {}  {}\n",
            c.thumbprint(),
            crate::report::escape(&c.subject)
        ));
    }
    format!(
        "chainsmith export apim --tier v2\n\
         ================================\n\n\
         The v2 tiers (Basic v2, Standard v2, Premium v2) have no CA certificates page:\n\
         a backend entity names the certificates it trusts. backend.json is the body of\n\
         PUT .../backends/{id}?api-version={api}: url {url}, and a server\n\
         certificate named {name} issued by one of:\n\n{issuers}\n\
         Run the script (Azure CLI, logged in to the {cloud} cloud):\n\n\
         \x20   bash apim-backend.sh SUBSCRIPTION_ID RESOURCE_GROUP SERVICE_NAME\n\n\
         then point your APIs at the backend (set-backend-service backend-id=\"{id}\").\n\
         When the CA is renewed, export again and run the script again.\n",
        id = b.id,
        api = APIM_V2_API_VERSION,
        url = b.url,
        name = b.server_name,
        cloud = b.cloud.as_str(),
    )
}

fn v2_script(b: &V2Backend<'_>) -> String {
    let mut s = script_start(
        "# Written by `chainsmith export apim --tier v2`. Creates or updates a backend
# entity of an Azure API Management v2 instance that trusts the backend's
# certificate by name and issuing CA (backend.json).
",
        "apim-backend.sh",
        &[SUBSCRIPTION, RESOURCE_GROUP, SERVICE],
    );
    s.push_str(&script_setup(b.cloud, APIM_V2_API_VERSION));
    s.push('\n');
    s.push_str(&az_put(
        &format!("backend {}", b.id),
        &format!("backends/{}", b.id),
        "backend.json",
    ));
    s
}

/// Every file of the v2 tiers. Nothing here is secret.
pub fn v2_files<'a>(b: &V2Backend<'_>) -> Export<'a> {
    let mut e = Export::default();
    e.add("backend.json", json_text(&v2_backend_body(b)), Mode::Public);
    e.add("README.txt", v2_readme(b), Mode::Public);
    e.add("manifest.json", json_text(&v2_manifest(b)), Mode::Public);
    e.add("apim-backend.sh", v2_script(b), Mode::Public);
    e.list(
        "backend.json",
        "backend entity body: url and serverX509Names (v2 tiers)",
    );
    e.list(
        "apim-backend.sh",
        "bash apim-backend.sh SUBSCRIPTION_ID RESOURCE_GROUP SERVICE_NAME",
    );
    e.list(
        "README.txt, manifest.json",
        "the same, for people and scripts",
    );
    let mut tail = format!(
        "\n  backend {} -> {}\n  trusts a certificate named {} issued by:\n",
        b.id,
        crate::report::escape(&b.url),
        crate::report::escape(&b.server_name)
    );
    for c in &b.issuers {
        tail.push_str(&format!(
            "    {}  {}\n",
            c.thumbprint(),
            crate::report::escape(&c.subject)
        ));
    }
    e.tail = tail;
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_ca_trusts_only_the_root() {
        assert_eq!(
            gateway_ca_body(ApimStore::Root).to_string(),
            r#"{"properties":{"isTrusted":true}}"#
        );
        assert_eq!(
            gateway_ca_body(ApimStore::CertificateAuthority).to_string(),
            r#"{"properties":{"isTrusted":false}}"#
        );
    }

    #[test]
    fn scripts_take_their_own_arguments() {
        let s = script(&[], Cloud::Public);
        assert!(s.contains("# Usage: bash apim-upload.sh SUBSCRIPTION_ID RESOURCE_GROUP SERVICE_NAME GATEWAY_NAME\n"));
        assert!(s.contains("if [ \"$#\" -ne 4 ]"));
        assert!(s.contains("gateway=\"$4\""));
        let b = V2Backend {
            id: "b".into(),
            url: "https://x".into(),
            server_name: "x".into(),
            issuers: vec![],
            cloud: Cloud::China,
        };
        let s = v2_script(&b);
        assert!(s.contains("if [ \"$#\" -ne 3 ]"));
        assert!(!s.contains("gateway="));
        assert!(s.contains("api-version=2025-03-01-preview"));
        assert!(s.contains("management.chinacloudapi.cn"));
    }
}
