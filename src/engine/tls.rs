//! The HTTP client's TLS: which roots verify a server, the extra CAs (`--ca-cert`, `ca_certs`)
//! and `--insecure-host`. Verification is always on, except for a host the user named.
//!
//! The roots are the platform's (rustls-platform-verifier: Keychain, the Windows store, or on
//! Linux the CA bundle found by `SSL_CERT_FILE`, `SSL_CERT_DIR` or the usual paths). A machine
//! with no CA store at all (a bare jump host, a scratch container) gets the public roots bundled
//! in the binary (Mozilla's, from the `webpki-root-certs` crate) instead, and the environment
//! step and the console's header say so.

use std::sync::{Arc, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::http::SetupError;

/// Where the roots that verify servers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Roots {
    /// The operating system's trust store (or the bundle `SSL_CERT_FILE`/`SSL_CERT_DIR` name).
    System,
    /// No trust store was found on this machine: the public roots bundled in sagediag.
    Bundled,
}

impl Roots {
    /// One line for the environment step (and `check`'s progress): what verifies TLS.
    pub fn note(self, extra_cas: usize) -> String {
        let base = match self {
            Roots::System => "TLS verified against the system's trust store".to_string(),
            Roots::Bundled => "TLS verified against sagediag's bundled public roots (no system \
                 trust store found: SSL_CERT_FILE or --ca-cert names a CA bundle)"
                .to_string(),
        };
        match extra_cas {
            0 => base,
            1 => format!("{base} and the CA file given (--ca-cert/ca_certs)"),
            n => format!("{base} and the {n} CA files given (--ca-cert/ca_certs)"),
        }
    }

    /// The console header's words, when there is something to say.
    pub fn header(self) -> Option<&'static str> {
        match self {
            Roots::System => None,
            Roots::Bundled => Some("bundled CA roots (no system store)"),
        }
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// This process's roots: the system's when it has a trust store, else the bundled ones. Looked
/// up once (reading the store is a few milliseconds; the environment does not change under us).
pub fn roots() -> Roots {
    static ROOTS: OnceLock<Roots> = OnceLock::new();
    *ROOTS.get_or_init(|| {
        // On Linux the platform verifier fails only when it loaded no CA certificate from the
        // system; elsewhere it asks the OS at each handshake and does not fail here.
        match rustls_platform_verifier::Verifier::new(provider()) {
            Ok(_) => Roots::System,
            Err(e) => {
                tracing::warn!(error = %e, "no system trust store: using the bundled public roots");
                Roots::Bundled
            }
        }
    })
}

/// The certificates of the extra CAs, each file at least one.
fn pem_certs(pems: &[String]) -> Result<Vec<CertificateDer<'static>>, SetupError> {
    use rustls::pki_types::pem::PemObject;
    let mut all = Vec::new();
    for pem in pems {
        let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| SetupError::CaNotPem(e.to_string()))?;
        if certs.is_empty() {
            return Err(SetupError::NoCertificate);
        }
        all.extend(certs);
    }
    Ok(all)
}

/// The verifier for `roots`, with the extra CAs trusted as well.
fn verifier(
    provider: Arc<CryptoProvider>,
    extra: Vec<CertificateDer<'static>>,
    roots: Roots,
) -> Result<Arc<dyn ServerCertVerifier>, SetupError> {
    match roots {
        Roots::System => Ok(Arc::new(
            rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider)
                .map_err(|e| SetupError::TrustStore(e.to_string()))?,
        )),
        Roots::Bundled => {
            let mut store = rustls::RootCertStore::empty();
            store.add_parsable_certificates(
                webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned(),
            );
            for cert in extra {
                store
                    .add(cert)
                    .map_err(|e| SetupError::CaNotPem(e.to_string()))?;
            }
            let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider)
                .build()
                .map_err(|e| SetupError::TrustStore(e.to_string()))?;
            Ok(verifier)
        }
    }
}

/// The client's TLS configuration: `roots` and the extra CAs (`ca_pems`, PEM text), with
/// verification skipped for `insecure_hosts` alone.
pub fn client_config(
    ca_pems: &[String],
    insecure_hosts: &[String],
    roots: Roots,
) -> Result<rustls::ClientConfig, SetupError> {
    let provider = provider();
    let inner = verifier(provider.clone(), pem_certs(ca_pems)?, roots)?;
    let verifier: Arc<dyn ServerCertVerifier> = if insecure_hosts.is_empty() {
        inner
    } else {
        Arc::new(HostScoped {
            inner,
            hosts: insecure_hosts.to_vec(),
        })
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SetupError::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// `--insecure-host`: certificate verification off for the named hosts only.
#[derive(Debug)]
struct HostScoped {
    inner: Arc<dyn ServerCertVerifier>,
    hosts: Vec<String>,
}

impl ServerCertVerifier for HostScoped {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let name = match server_name {
            ServerName::DnsName(d) => d.as_ref().to_string(),
            ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
            _ => String::new(),
        };
        if self.hosts.iter().any(|h| h.eq_ignore_ascii_case(&name)) {
            return Ok(ServerCertVerified::assertion());
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_roots_hold_the_public_cas_and_the_extra_ones() {
        // A config builds from the bundled roots alone and with an extra CA.
        let ca = include_str!("../../tests/fixtures/test-ca.cert.pem").to_string();
        assert!(client_config(&[], &[], Roots::Bundled).is_ok());
        assert!(client_config(std::slice::from_ref(&ca), &[], Roots::Bundled).is_ok());
        assert!(webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() > 100);
        // A PEM with no certificate is refused, as before.
        assert!(matches!(
            client_config(&["no pem here".into()], &[], Roots::Bundled),
            Err(SetupError::NoCertificate)
        ));
    }

    #[test]
    fn the_notes_say_which_roots_verify() {
        assert_eq!(
            Roots::System.note(0),
            "TLS verified against the system's trust store"
        );
        assert!(Roots::Bundled.note(2).contains("bundled public roots"));
        assert!(
            Roots::Bundled
                .note(2)
                .ends_with("the 2 CA files given (--ca-cert/ca_certs)")
        );
        assert_eq!(Roots::System.header(), None);
        assert!(Roots::Bundled.header().is_some());
    }
}
