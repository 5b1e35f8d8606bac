//! Certificates and keys: reading any input, the per-certificate model, the
//! chain graph with signature checks, issuing with rcgen, and encoding.
pub mod aia;
pub mod chain;
pub mod clients;
pub mod csr;
pub mod der;
pub mod encode;
pub mod issue;
pub mod keys;
pub mod load;
pub mod model;
pub mod path;
pub mod pkcs12;
pub mod rollover;
pub mod verify;

pub use chain::{Graph, LinkStatus, PathEnd, Verifier};
pub use load::{LoadedFile, Source};
pub use model::{Cert, Role};
