//! Output encodings. PEM is always written with LF line endings.
use super::model::Cert;

const LF: pem::EncodeConfig = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);

/// One PEM block with LF line endings.
pub fn pem_block(label: &str, der: &[u8]) -> String {
    pem::encode_config(&pem::Pem::new(label, der.to_vec()), LF)
}

/// Certificates as consecutive PEM blocks, in the given order.
pub fn pem_bundle<'a>(certs: impl IntoIterator<Item = &'a Cert>) -> String {
    certs.into_iter().map(Cert::to_pem).collect()
}
