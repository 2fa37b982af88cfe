//! Test helper shared by the XML tests: a line diff (longest common subsequence), so a test can
//! assert that an edit changed exactly the lines it should and nothing else.

/// The lines only in `before` and the lines only in `after`, in order.
pub fn changed_lines<'a>(before: &'a str, after: &'a str) -> (Vec<&'a str>, Vec<&'a str>) {
    let old: Vec<&str> = before.lines().collect();
    let new: Vec<&str> = after.lines().collect();
    // common[i][j]: length of the longest common subsequence of old[i..] and new[j..].
    let mut common = vec![vec![0usize; new.len() + 1]; old.len() + 1];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            common[i][j] = if old[i] == new[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < old.len() && j < new.len() {
        if old[i] == new[j] {
            i += 1;
            j += 1;
        } else if common[i + 1][j] >= common[i][j + 1] {
            removed.push(old[i]);
            i += 1;
        } else {
            added.push(new[j]);
            j += 1;
        }
    }
    removed.extend(&old[i..]);
    added.extend(&new[j..]);
    (removed, added)
}

/// Asserts that going from `before` to `after` removed exactly `removed` and added exactly
/// `added` (lines compared trimmed).
#[track_caller]
pub fn assert_changed(before: &str, after: &str, removed: &[&str], added: &[&str]) {
    let (gone, new) = changed_lines(before, after);
    fn trim(lines: Vec<&str>) -> Vec<&str> {
        lines.into_iter().map(str::trim).collect()
    }
    assert_eq!(
        (trim(gone), trim(new)),
        (removed.to_vec(), added.to_vec()),
        "\n--- before ---\n{before}\n--- after ---\n{after}"
    );
}
