//! Text-quality measures for OCR output against a ground truth (character error rate, word
//! recall), shared by tests and benches; producing either text is left to others.
//!
//! Both texts are expected in NFC (Tesseract's `vie` output and the sample ground truths are);
//! no normalisation beyond folding whitespace happens here.

use std::collections::HashMap;

/// Collapses every run of whitespace (spaces, newlines, form feeds) into one space and trims
/// the ends, so that line breaks and page breaks do not count as errors.
pub fn fold_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The Levenshtein distance between two character sequences (insertions, deletions and
/// substitutions of Unicode scalar values, each costing 1).
pub fn levenshtein(a: &[char], b: &[char]) -> usize {
    let (a, b) = if a.len() < b.len() { (b, a) } else { (a, b) };
    // One row over the shorter sequence: O(len(a)·len(b)) time, O(len(b)) memory.
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            let cost = usize::from(ca != cb);
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + cost);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The character error rate of `hypothesis` against `reference`: the Levenshtein distance
/// between the whitespace-folded texts divided by the reference's length in characters.
/// 0 is perfect; it can exceed 1 when the hypothesis is much longer. An empty reference gives
/// 0 for an empty hypothesis and 1 otherwise.
///
/// The measure is order-sensitive: a two-column block read row by row costs errors even when
/// every word is right. Pair it with [`word_recall`].
pub fn character_error_rate(reference: &str, hypothesis: &str) -> f64 {
    let reference: Vec<char> = fold_whitespace(reference).chars().collect();
    let hypothesis: Vec<char> = fold_whitespace(hypothesis).chars().collect();
    if reference.is_empty() {
        return if hypothesis.is_empty() { 0.0 } else { 1.0 };
    }
    levenshtein(&reference, &hypothesis) as f64 / reference.len() as f64
}

/// The share of the reference's words (counted with multiplicity) that occur in the
/// hypothesis, in any order: 1 when every word was read exactly. An order-tolerant companion
/// to [`character_error_rate`]. An empty reference gives 1.
pub fn word_recall(reference: &str, hypothesis: &str) -> f64 {
    let mut available: HashMap<&str, usize> = HashMap::new();
    for word in hypothesis.split_whitespace() {
        *available.entry(word).or_default() += 1;
    }
    let mut total = 0usize;
    let mut found = 0usize;
    for word in reference.split_whitespace() {
        total += 1;
        if let Some(count) = available.get_mut(word).filter(|count| **count > 0) {
            *count -= 1;
            found += 1;
        }
    }
    if total == 0 {
        1.0
    } else {
        found as f64 / total as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn levenshtein_counts_edits() {
        assert_eq!(levenshtein(&chars("kitten"), &chars("sitting")), 3);
        assert_eq!(levenshtein(&chars(""), &chars("abc")), 3);
        assert_eq!(levenshtein(&chars("abc"), &chars("")), 3);
        assert_eq!(levenshtein(&chars("HÒA"), &chars("HOA")), 1);
    }

    #[test]
    fn cer_folds_whitespace_and_counts_characters_not_bytes() {
        assert_eq!(
            character_error_rate("CỘNG HÒA\nXÃ HỘI\n", "CỘNG  HÒA XÃ HỘI"),
            0.0
        );
        // "Ộ" → "O": one substitution out of 4 characters, not a byte-level difference.
        assert!((character_error_rate("CỘNG", "CONG") - 0.25).abs() < 1e-12);
        assert_eq!(character_error_rate("", ""), 0.0);
        assert_eq!(character_error_rate("", "x"), 1.0);
        assert_eq!(character_error_rate("ab", ""), 1.0);
    }

    #[test]
    fn word_recall_ignores_order_but_counts_repeats() {
        assert_eq!(word_recall("a b c", "c b a"), 1.0);
        assert!((word_recall("a a b", "a b") - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(word_recall("", "x"), 1.0);
        assert_eq!(word_recall("x", ""), 0.0);
    }
}
