//! The simulated org's cryptography: token signatures, PKCE, JWT checks and random values.

use aws_lc_rs::{digest, hmac, rand::SecureRandom, signature};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// Salesforce's token-response `signature`: Base64(HMAC-SHA256(client_secret, id + issued_at)).
pub fn token_signature(client_secret: &str, id: &str, issued_at: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, client_secret.as_bytes());
    let tag = hmac::sign(&key, format!("{id}{issued_at}").as_bytes());
    STANDARD.encode(tag.as_ref())
}

/// The PKCE S256 challenge of a verifier: base64url(SHA-256(verifier)) without padding.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes()).as_ref())
}

/// `n` random bytes, base64url without padding.
pub fn random_token(n: usize) -> String {
    let mut buf = vec![0u8; n];
    #[allow(clippy::expect_used)] // Without the OS random source nothing can be issued safely.
    aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut buf)
        .expect("the system random source failed");
    URL_SAFE_NO_PAD.encode(buf)
}

/// A random string from an alphabet (user codes, opaque token parts).
pub fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut buf = vec![0u8; len];
    #[allow(clippy::expect_used)] // Without the OS random source nothing can be issued safely.
    aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut buf)
        .expect("the system random source failed");
    buf.iter()
        .map(|b| alphabet[*b as usize % alphabet.len()] as char)
        .collect()
}

/// A PEM text the simulator cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PemError {
    #[error("PEM label `{0}` is not supported")]
    Label(String),
    #[error("no `-----BEGIN {0}-----` block")]
    Missing(String),
    #[error("not PEM: {0}")]
    NotPem(String),
    #[error("not an RSA public key (SubjectPublicKeyInfo)")]
    NotRsa,
}

/// The DER body of the first PEM block with the given label (rustls-pki-types' parser).
pub fn pem_to_der(pem: &str, label: &str) -> Result<Vec<u8>, PemError> {
    use rustls_pki_types::pem::{self, SectionKind};
    let want = match label {
        "PUBLIC KEY" => SectionKind::PublicKey,
        "PRIVATE KEY" => SectionKind::PrivateKey,
        "RSA PRIVATE KEY" => SectionKind::RsaPrivateKey,
        "CERTIFICATE" => SectionKind::Certificate,
        other => return Err(PemError::Label(other.to_string())),
    };
    let mut reader = std::io::BufReader::new(pem.as_bytes());
    loop {
        match pem::from_buf(&mut reader) {
            Ok(Some((kind, der))) if kind == want => return Ok(der),
            Ok(Some(_)) => continue,
            Ok(None) => return Err(PemError::Missing(label.to_string())),
            Err(e) => return Err(PemError::NotPem(e.to_string())),
        }
    }
}

/// Checks that a PEM public key (`BEGIN PUBLIC KEY`) is an RSA key the JWT check can use.
pub fn parse_public_key_pem(pem: &str) -> Result<Vec<u8>, PemError> {
    let der = pem_to_der(pem, "PUBLIC KEY")?;
    aws_lc_rs::rsa::PublicEncryptingKey::from_der(&der).map_err(|_| PemError::NotRsa)?;
    Ok(der)
}

/// Verifies an RS256 signature with an RSA public key in SubjectPublicKeyInfo DER.
pub fn verify_rs256(spki_der: &[u8], message: &[u8], sig: &[u8]) -> bool {
    signature::UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, spki_der)
        .verify(message, sig)
        .is_ok()
}

/// The org's OpenID Connect signing key: RSA 2048 made on first use (RS256 `id_token`s),
/// published as a JWK at `/id/keys`.
pub struct IdTokenKey {
    pair: aws_lc_rs::rsa::KeyPair,
    pub kid: String,
}

impl IdTokenKey {
    pub fn generate() -> Option<IdTokenKey> {
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).ok()?;
        Some(IdTokenKey {
            pair,
            kid: "sim-254".into(),
        })
    }

    /// A compact RS256 JWT of `claims`, with this key's `kid`.
    pub fn sign_jwt(&self, claims: &serde_json::Value) -> Option<String> {
        let header = serde_json::json!({"kid": self.kid, "typ": "JWT", "alg": "RS256"});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut sig = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                signing_input.as_bytes(),
                &mut sig,
            )
            .ok()?;
        Some(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }

    /// The public key as a JWK (`kty`, `n`, `e`, `alg`, `use`, `kid`).
    pub fn jwk(&self) -> serde_json::Value {
        use aws_lc_rs::signature::KeyPair;
        let public = self.pair.public_key();
        serde_json::json!({
            "kty": "RSA",
            "n": URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero()),
            "e": URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero()),
            "alg": "RS256",
            "use": "sig",
            "kid": self.kid,
        })
    }
}

/// OpenID Connect `at_hash`: base64url of the left half of SHA-256(access token).
pub fn at_hash(access_token: &str) -> String {
    let d = digest::digest(&digest::SHA256, access_token.as_bytes());
    let bytes = d.as_ref();
    URL_SAFE_NO_PAD.encode(bytes.get(..bytes.len() / 2).unwrap_or_default())
}

/// The 3-character checksum suffix that turns a 15-character Salesforce id into 18.
pub fn sf_id18(id15: &str) -> String {
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
    let bytes = id15.as_bytes();
    let mut out = String::with_capacity(18);
    out.push_str(id15);
    for chunk in bytes.chunks(5) {
        let mut bits = 0usize;
        for (i, c) in chunk.iter().enumerate() {
            if c.is_ascii_uppercase() {
                bits |= 1 << i;
            }
        }
        out.push(ALPHA[bits] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id18_matches_known_salesforce_ids() {
        // Known pairs: 001 record ids quoted widely in Salesforce docs.
        assert_eq!(sf_id18("001A0000006Vm9r"), "001A0000006Vm9rIAC");
        assert_eq!(sf_id18("00D000000000062"), "00D000000000062EAA");
    }

    #[test]
    fn rs256_accepts_spki_and_rejects_other_keys() {
        let pem = include_str!("../../assets/keys/demo-jwt.key.pem");
        let key =
            signature::RsaKeyPair::from_pkcs8(&pem_to_der(pem, "PRIVATE KEY").unwrap()).unwrap();
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let mut sig = vec![0; key.public_modulus_len()];
        key.sign(&signature::RSA_PKCS1_SHA256, &rng, b"hello", &mut sig)
            .unwrap();
        let spki =
            parse_public_key_pem(include_str!("../../assets/keys/demo-jwt.pub.pem")).unwrap();
        assert!(verify_rs256(&spki, b"hello", &sig));
        assert!(!verify_rs256(&spki, b"hellO", &sig));
    }

    #[test]
    fn pkce_challenge_matches_openssl() {
        // `printf VERIFIER | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d =`
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K9uhbUJU901r5-FQrBMuMjMpAc"),
            "SkYptfg-UxZmvs-YL_1FXUBdMbTHHFuTZt5Mpbr25fs"
        );
    }
}
