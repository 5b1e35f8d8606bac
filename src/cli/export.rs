use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::PasswordArgs;

const EXPORT_AFTER: &str = "EXAMPLES:
  APIM CA certificates, REST bodies and an az script from a generated chain:
    chainsmith export apim --from chain --password-file pfx.pass -o apim
  APISIX SSL object and ApisixTls for the server:
    chainsmith export apisix --from chain -o apisix
  Kubernetes Secrets and a Deployment patch that sets SSL_CERT_FILE:
    chainsmith export k8s --from chain --deployment api --container app -o k8s
  AKS node trust (containerd, registries) for the private CA:
    chainsmith export aks --from chain -o aks

EXIT CODES:
  0  all files written
  2  usage or I/O error, a leaf given as CA, more than 10 APIM CAs, or a key that does not match; nothing is written";

#[derive(Debug, Args)]
#[command(after_help = EXPORT_AFTER)]
pub struct ExportArgs {
    #[command(subcommand)]
    pub target: ExportTarget,
}

#[derive(Debug, Subcommand)]
pub enum ExportTarget {
    /// Azure API Management: DER CA files with their store, REST bodies and an `az rest` script
    Apim(ApimArgs),
    /// Apache APISIX: SSL object JSON (with optional mTLS), ApisixTls and Secret YAML
    Apisix(ApisixArgs),
    /// Kubernetes: CA bundle Secret, Deployment patch setting SSL_CERT_FILE, TLS Secret
    K8s(K8sArgs),
    /// AKS node trust: the kube-system/custom-ca-trust-secret Secret and the az aks file
    Aks(AksArgs),
}

// Where the output goes. (A plain comment, not a doc comment: see
// `PasswordArgs`.)
#[derive(Debug, Args)]
pub struct OutArgs {
    /// Output directory
    #[arg(short, long, value_name = "DIR")]
    pub out: PathBuf,
    /// Overwrite existing files
    #[arg(long)]
    pub force: bool,
}

const APIM_AFTER: &str = "EXAMPLES:
  From a directory written by `generate`:
    chainsmith export apim --from chain --password-file pfx.pass -o apim
    bash apim/apim-upload.sh SUBSCRIPTION_ID RESOURCE_GROUP SERVICE_NAME GATEWAY_NAME
  From CA files, for Azure China:
    chainsmith export apim --ca-bundle ca-bundle.crt --cloud china --password-env PFX_PASS -o apim
  A v2 tier (Basic v2, Standard v2, Premium v2): a backend entity, no password:
    chainsmith export apim --tier v2 --from chain \\
      --backend-url https://api.internal.example.com -o apim
    bash apim/apim-backend.sh SUBSCRIPTION_ID RESOURCE_GROUP SERVICE_NAME

FILES WRITTEN (--tier classic):
  root.cer intermediate.cer     DER, for the CA certificates page (store: Root / CertificateAuthority)
  certificate-*.json            Certificates API bodies: certificate-only PFX + password (0600)
  gateway-ca-*.json             gateway Certificate Authority API bodies (isTrusted)
  apim-upload.sh                az rest calls: SUBSCRIPTION_ID RESOURCE_GROUP SERVICE_NAME GATEWAY_NAME
  README.txt manifest.json      which file goes in which store

FILES WRITTEN (--tier v2):
  backend.json                  backend entity body (api-version 2025-03-01-preview): url, and
                                tls.serverX509Names: the server name and its issuing CA's thumbprint
  apim-backend.sh               az rest call: SUBSCRIPTION_ID RESOURCE_GROUP SERVICE_NAME
  README.txt manifest.json      the same, for people and scripts

EXIT CODES:
  0  all files written
  2  usage or I/O error, a server certificate given as CA, more than 10 CA
     certificates; nothing is written";

#[derive(Debug, Args)]
#[command(after_help = APIM_AFTER)]
pub struct ApimArgs {
    /// A chain directory written by `generate` (uses its ca-bundle.crt)
    #[arg(long, value_name = "DIR", required_unless_present = "ca_bundle")]
    pub from: Option<PathBuf>,
    /// CA certificates (root and intermediates; PEM or DER); repeat for more files
    #[arg(long, value_name = "FILE", conflicts_with = "from")]
    pub ca_bundle: Vec<PathBuf>,
    /// Azure cloud whose management endpoint the script calls
    #[arg(long, value_enum, default_value_t = CloudArg::Public)]
    pub cloud: CloudArg,
    /// APIM tier: classic (CA certificates page, PFX bodies) or v2 (backend entity)
    #[arg(long, value_enum, default_value_t = TierArg::Classic)]
    pub tier: TierArg,
    /// With --tier v2: the backend's runtime URL (https://...)
    #[arg(long, value_name = "URL", required_if_eq("tier", "v2"))]
    pub backend_url: Option<String>,
    /// With --tier v2: the backend id [default: chainsmith-backend]
    #[arg(long, value_name = "ID")]
    pub backend_id: Option<String>,
    /// With --tier v2: the name the backend's certificate carries [default: the
    /// CN of server.crt with --from, else the host of --backend-url]
    #[arg(long, value_name = "NAME")]
    pub server_name: Option<String>,
    #[command(flatten)]
    pub out: OutArgs,
    #[command(flatten)]
    pub password: PasswordArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TierArg {
    /// Developer, Basic, Standard, Premium: the CA certificates page
    Classic,
    /// Basic v2, Standard v2, Premium v2: CA trust on the backend entity
    V2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CloudArg {
    /// management.azure.com
    Public,
    /// management.chinacloudapi.cn (Azure China, 21Vianet)
    China,
}

impl From<CloudArg> for crate::export::apim::Cloud {
    fn from(c: CloudArg) -> Self {
        match c {
            CloudArg::Public => Self::Public,
            CloudArg::China => Self::China,
        }
    }
}

/// `--cert`, `--chain` and `--key`: the served certificate file by file,
/// instead of `--from DIR` (which each command that flattens this declares).
#[derive(Debug, Args)]
pub struct ServedArgs {
    /// The server certificate, alone or followed by its intermediates
    #[arg(long, value_name = "FILE", conflicts_with = "from", requires = "key")]
    pub cert: Option<PathBuf>,
    /// Intermediates to serve after the certificate
    #[arg(long, value_name = "FILE", conflicts_with = "from", requires = "cert")]
    pub chain: Option<PathBuf>,
    /// The server's private key
    #[arg(long, value_name = "FILE", conflicts_with = "from", requires = "cert")]
    pub key: Option<PathBuf>,
}

const APISIX_AFTER: &str = "EXAMPLES:
  Server certificate for the SNIs in its SANs:
    chainsmith export apisix --from chain -o apisix
    curl -X PUT http://127.0.0.1:9180/apisix/admin/ssls/1 -H \"X-API-KEY: $ADMIN_KEY\" -d @apisix/apisix-ssl.json
  With client certificates (mTLS), checked against a client CA:
    chainsmith export apisix --cert server-fullchain.crt --key server.key \\
      --client-ca clients-ca.crt --client-depth 2 --sni api.example.com -o apisix
  An ECDSA and an RSA certificate for the same names (certs/keys arrays):
    chainsmith export apisix --from chain --extra-cert rsa/server-fullchain.crt \\
      --extra-key rsa/server.key -o apisix

FILES WRITTEN:
  apisix-ssl.json               Admin API SSL object: snis, cert (leaf first), key, certs/keys
                                with --extra-cert, client (0600)
  apisix-tls.yaml               ApisixTls (apisix.apache.org/v2) for the ingress controller
  apisix-secret.yaml            the Secret it references: cert and key (0600)
  apisix-client-ca-secret.yaml  the client CA Secret, with --client-ca

EXIT CODES:
  0  all files written
  2  usage or I/O error, a key that does not match the certificate; nothing is written";

#[derive(Debug, Args)]
#[command(after_help = APISIX_AFTER)]
#[command(mut_arg("key", |a| a.help(
    "The server's private key (PEM; encrypted PKCS#8 prompts on a terminal)"
)))]
pub struct ApisixArgs {
    /// A chain directory written by `generate` (server-fullchain.crt and server.key)
    #[arg(long, value_name = "DIR", required_unless_present_all = ["cert", "key"])]
    pub from: Option<PathBuf>,
    #[command(flatten)]
    pub served: ServedArgs,
    /// SNI host name to serve the certificate for; repeat for more [default: the DNS SANs]
    #[arg(long, value_name = "NAME")]
    pub sni: Vec<String>,
    /// CA certificates that client certificates must chain to (enables mTLS)
    #[arg(long, value_name = "FILE")]
    pub client_ca: Option<PathBuf>,
    /// Another certificate for the same SNIs, of another key type (APISIX `certs`);
    /// alone or followed by its intermediates; repeat with --extra-key for more
    #[arg(long, value_name = "FILE", requires = "extra_key")]
    pub extra_cert: Vec<PathBuf>,
    /// The key of each --extra-cert, in the same order (APISIX `keys`)
    #[arg(long, value_name = "FILE", requires = "extra_cert")]
    pub extra_key: Vec<PathBuf>,
    /// Maximum client chain depth [default: the longest chain in --client-ca]
    #[arg(long, value_name = "N", requires = "client_ca", value_parser = clap::value_parser!(u32).range(1..=16))]
    pub client_depth: Option<u32>,
    /// Name of the ApisixTls; the Secrets are NAME-tls and NAME-client-ca
    #[arg(long, default_value = "chainsmith")]
    pub name: String,
    /// Namespace of the ApisixTls and its Secrets
    #[arg(long, default_value = "default")]
    pub namespace: String,
    #[command(flatten)]
    pub out: OutArgs,
}

const K8S_AFTER: &str = "EXAMPLES:
  Trust the private CA in a Deployment's container, and a TLS Secret for the server:
    chainsmith export k8s --from chain --deployment api --container api --namespace shop -o k8s
    kubectl apply -f k8s/ca-secret.yaml -f k8s/tls-secret.yaml
    kubectl patch deployment api --namespace shop --patch-file k8s/deployment-patch.yaml
  Only the CA bundle:
    chainsmith export k8s --ca-bundle ca-bundle.crt --deployment api --container api -o k8s

FILES WRITTEN:
  ca-secret.yaml          Opaque Secret NAME-ca holding ca-bundle.crt
  deployment-patch.yaml   mounts the Secret as a directory (no subPath, so rotation reaches the pod)
                          and sets SSL_CERT_FILE=MOUNT/ca-bundle.crt in --container
  tls-secret.yaml         kubernetes.io/tls Secret NAME-tls: tls.crt (leaf first) and tls.key (0600)

EXIT CODES:
  0  all files written
  2  usage or I/O error, a server certificate given as CA, a key that does not
     match; nothing is written";

#[derive(Debug, Args)]
#[command(after_help = K8S_AFTER)]
#[command(mut_arg("cert", |a| a.help(
    "Server certificate for the TLS Secret, alone or followed by its intermediates"
)))]
pub struct K8sArgs {
    /// A chain directory written by `generate` (ca-bundle.crt, server-fullchain.crt, server.key)
    #[arg(long, value_name = "DIR", required_unless_present_any = ["ca_bundle", "cert"])]
    pub from: Option<PathBuf>,
    /// CA certificates for the CA Secret; repeat for more files
    #[arg(long, value_name = "FILE", conflicts_with = "from")]
    pub ca_bundle: Vec<PathBuf>,
    #[command(flatten)]
    pub served: ServedArgs,
    /// Base name: the Secrets are NAME-ca and NAME-tls
    #[arg(long, default_value = "chainsmith")]
    pub name: String,
    /// Namespace of the Secrets and the Deployment [default: kubectl's current one]
    #[arg(long)]
    pub namespace: Option<String>,
    /// The Deployment to patch (needed with a CA bundle)
    #[arg(long, value_name = "NAME")]
    pub deployment: Option<String>,
    /// The container that gets SSL_CERT_FILE and the mount (needed with a CA bundle)
    #[arg(long, value_name = "NAME")]
    pub container: Option<String>,
    /// Directory the CA Secret is mounted at
    #[arg(long, value_name = "PATH", default_value = "/etc/chainsmith/ca")]
    pub mount_path: String,
    #[command(flatten)]
    pub out: OutArgs,
}

const AKS_AFTER: &str = "EXAMPLES:
  Node trust for a generated chain, by Secret (no node is recreated):
    chainsmith export aks --from chain -o aks
    kubectl apply -f aks/custom-ca-trust-secret.yaml
  Or when the nodes need the CA to boot (this recreates the nodes):
    az aks update --resource-group RG --name CLUSTER \\
      --custom-ca-trust-certificates aks/custom-ca-trust-certificates.pem

FILES WRITTEN:
  custom-ca-trust-secret.yaml       Secret kube-system/custom-ca-trust-secret: ca1.crt, ca2.crt,
                                    each the base64 of one PEM certificate (LF only)
  custom-ca-trust-certificates.pem  PEM certificates separated by a blank line, LF only

This is node trust (containerd, kubelet, image pulls) on Linux node pools, not
pod trust: for a container use `export k8s` (SSL_CERT_FILE).

EXIT CODES:
  0  all files written
  2  usage or I/O error, a server certificate given as CA, more than 10 CA
     certificates; nothing is written";

#[derive(Debug, Args)]
#[command(after_help = AKS_AFTER)]
pub struct AksArgs {
    /// A chain directory written by `generate` (uses its ca-bundle.crt)
    #[arg(long, value_name = "DIR", required_unless_present = "ca_bundle")]
    pub from: Option<PathBuf>,
    /// CA certificates the nodes trust (PEM or DER); repeat for more files
    #[arg(long, value_name = "FILE", conflicts_with = "from")]
    pub ca_bundle: Vec<PathBuf>,
    #[command(flatten)]
    pub out: OutArgs,
}
