//! The client side's cryptography: PKCE, state, token-signature checks, JWT signing.

use aws_lc_rs::{digest, hmac, rand::SecureRandom, signature};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// What the client side's cryptography can fail on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("the system random source failed")]
    Random,
    #[error(
        "the private key file is not a PEM RSA private key (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY)"
    )]
    NotRsaKey,
    #[error("the private key cannot be used for RS256: {0}")]
    UnusableKey(String),
    #[error("signing the JWT failed")]
    Signing,
}

/// `n` random bytes, base64url without padding (temporary file names, state).
pub fn random_urlsafe(n: usize) -> Result<String, CryptoError> {
    let mut buf = vec![0u8; n];
    aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut buf)
        .map_err(|_| CryptoError::Random)?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

pub fn pkce_s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes()).as_ref())
}

/// Checks Salesforce's token `signature`: Base64(HMAC-SHA256(secret, id + issued_at)).
pub fn signature_valid(secret: &str, id: &str, issued_at: &str, signature: &str) -> bool {
    let Ok(sig) = STANDARD.decode(signature) else {
        return false;
    };
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    hmac::verify(&key, format!("{id}{issued_at}").as_bytes(), &sig).is_ok()
}

/// An RS256 JWT bearer assertion signed with a PEM private key (PKCS#8 or PKCS#1).
pub fn jwt_assertion(
    pem: &str,
    iss: &str,
    sub: &str,
    aud: &str,
    exp: u64,
) -> Result<String, CryptoError> {
    use rustls_pki_types::PrivateKeyDer;
    use rustls_pki_types::pem::PemObject;
    let key =
        match PrivateKeyDer::from_pem_slice(pem.as_bytes()).map_err(|_| CryptoError::NotRsaKey)? {
            PrivateKeyDer::Pkcs8(k) => signature::RsaKeyPair::from_pkcs8(k.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(k) => signature::RsaKeyPair::from_der(k.secret_pkcs1_der()),
            _ => return Err(CryptoError::NotRsaKey),
        }
        .map_err(|e| CryptoError::UnusableKey(e.to_string()))?;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#);
    let claims = serde_json::json!({"iss": iss, "sub": sub, "aud": aud, "exp": exp});
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{body}");
    let mut sig = vec![0; key.public_modulus_len()];
    key.sign(
        &signature::RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        signing_input.as_bytes(),
        &mut sig,
    )
    .map_err(|_| CryptoError::Signing)?;
    Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig)))
}
