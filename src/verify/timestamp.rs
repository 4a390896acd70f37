//! RFC 3161 timestamps as a verifier meets them (ETSI EN 319 102-1 §5.4): a signature
//! timestamp over a CMS signature value (PAdES B-T) or a document timestamp over byte ranges
//! (B-LTA). The imprint must match the data, the token's signature must verify, and the TSA's
//! chain must reach a trust anchor with the timeStamping purpose at the stamped time. A token
//! whose imprint, signature or TSA chain uses an algorithm below the required strength
//! (`algorithms`) proves nothing.

use crate::pki::chain::{ParsedCertificate, Purpose};
use crate::pki::tsa::{self, TstInfo};
use crate::sign::DigestAlgorithm;
use crate::sign::cms;

use super::algorithms::{self, Hash, WeakUse};
use super::integrity::der_element;
use super::report::{AlgorithmUse, Finding, TimestampReport};
use super::trust::{self, ChainOutcome, Evidence, JudgedAt, TrustContext};

/// A timestamp after checking.
pub(crate) struct CheckedTimestamp {
    pub info: Option<TstInfo>,
    pub valid: bool,
    pub chain: Option<ChainOutcome>,
    pub problem: Option<Finding>,
    /// Algorithms of the token or its TSA's chain below the required strength.
    pub weak: Vec<WeakUse>,
}

impl CheckedTimestamp {
    /// Valid, its TSA trusted and its algorithms strong: the time it states is a proof of
    /// existence (ETSI EN 319 102-1 §5.6.2.5 asks the same of a timestamp as of a signature;
    /// a weak timestamp is not saved by a later one here).
    pub fn proves_time(&self) -> bool {
        self.valid
            && self.weak.is_empty()
            && self.chain.as_ref().is_some_and(|c| c.failure.is_none())
    }

    /// The first weak algorithm, as a finding.
    pub fn weak_finding(&self) -> Option<Finding> {
        self.weak.first().map(|w| w.finding.clone())
    }

    pub fn report(&self) -> Option<TimestampReport> {
        let info = self.info.as_ref()?;
        Some(TimestampReport {
            time: info.gen_time,
            authority: info
                .tsa_certificate
                .as_ref()
                .and_then(|c| ParsedCertificate::from_der(c).ok())
                .map(|c| c.subject_cn()),
            valid: self.valid,
            trusted: self.proves_time(),
        })
    }
}

/// Checks `token` (DER, possibly zero-padded) as a timestamp over the concatenated `parts`.
pub(crate) fn check(
    token: &[u8],
    imprint_of: &dyn Fn(DigestAlgorithm) -> Vec<u8>,
    evidence: &Evidence,
    context: &TrustContext<'_>,
) -> CheckedTimestamp {
    let mut checked = CheckedTimestamp {
        info: None,
        valid: false,
        chain: None,
        problem: None,
        weak: Vec::new(),
    };
    let Some(token) = der_element(token) else {
        checked.problem = Some(Finding::TimestampInvalid {
            detail: "the timestamp is not a DER-encoded token".into(),
        });
        return checked;
    };
    checked.weak = weak_token_algorithms(token);
    let info = match tsa::tst_info(token) {
        Ok(info) => info,
        Err(e) => {
            checked.problem = checked.weak_finding().or(Some(Finding::TimestampInvalid {
                detail: e.to_string(),
            }));
            return checked;
        }
    };
    if let Some(hash) = Hash::from_oid(&info.imprint_algorithm) {
        checked
            .weak
            .extend(algorithms::weak_hash(AlgorithmUse::TimestampDigest, hash));
    }
    let Some(digest) = info.imprint_digest else {
        if let Some(weak) = checked.weak_finding() {
            checked.problem = Some(weak);
            checked.info = Some(info);
            return checked;
        }
        checked.problem = Some(Finding::TimestampInvalid {
            detail: format!(
                "the timestamp's imprint uses {}, which is not a SHA-2 digest",
                info.imprint_algorithm
            ),
        });
        checked.info = Some(info);
        return checked;
    };
    let imprint = imprint_of(digest);
    checked.info = Some(info);
    match tsa::verify_token(token, digest, &imprint) {
        Ok(verified) => {
            checked.valid = true;
            checked.info = Some(verified);
        }
        Err(e) => {
            checked.problem = Some(Finding::TimestampInvalid {
                detail: e.to_string(),
            });
            return checked;
        }
    }
    let info = checked.info.as_ref().expect("set above");
    let Some(tsa_certificate) = info.tsa_certificate.clone() else {
        checked.problem = Some(Finding::TimestampUntrusted {
            detail: "the token does not carry the TSA's certificate".into(),
        });
        return checked;
    };
    let extra = cms::parse(token)
        .map(|p| p.certificates)
        .unwrap_or_default();
    let at = JudgedAt {
        time: info.gen_time,
        proven: true,
    };
    let outcome = trust::validate(
        &tsa_certificate,
        &extra,
        evidence,
        Purpose::TimeStamping,
        at,
        context,
    );
    if let Some((_, _, finding)) = &outcome.failure {
        checked.problem = Some(Finding::TimestampUntrusted {
            detail: describe(finding),
        });
    }
    let chain = if outcome.chain.is_empty() {
        std::slice::from_ref(&tsa_certificate)
    } else {
        outcome.chain.as_slice()
    };
    checked
        .weak
        .extend(algorithms::weak_chain(chain, AlgorithmUse::TimestampKey));
    if checked.problem.is_none() {
        checked.problem = checked.weak_finding();
    }
    checked.chain = Some(outcome);
    checked
}

/// The weak digest and signature hashes of a token's SignerInfo (a token kyso cannot read
/// for another reason has none here: that is reported as it is).
fn weak_token_algorithms(token: &[u8]) -> Vec<WeakUse> {
    let Ok(received) = cms::parse_received(token) else {
        return Vec::new();
    };
    let Some(digest) = Hash::from_oid(&received.digest_algorithm.oid) else {
        return Vec::new();
    };
    let mut weak: Vec<WeakUse> = algorithms::weak_hash(AlgorithmUse::TimestampDigest, digest)
        .into_iter()
        .collect();
    if let Some((_, hash)) = algorithms::signature_algorithm(&received.signature_algorithm, digest)
        && hash != digest
    {
        weak.extend(algorithms::weak_hash(AlgorithmUse::TimestampDigest, hash));
    }
    weak
}

/// A short English account of a chain finding, for the timestamp's own finding.
fn describe(finding: &Finding) -> String {
    match finding {
        Finding::Untrusted { root } => format!("the TSA's root «{root}» is not a trust anchor"),
        Finding::ChainNotFound { detail }
        | Finding::ChainProblem { detail }
        | Finding::RevocationUnknown { detail, .. } => detail.clone(),
        Finding::CertificateExpired { subject, .. } => {
            format!("the certificate of {subject} had expired when it stamped")
        }
        Finding::Revoked { subject, .. } => format!("the certificate of {subject} is revoked"),
        other => format!("{other:?}"),
    }
}
