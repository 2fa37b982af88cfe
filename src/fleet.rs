//! What the fleet tree shows, GTK-free: one summary per connection and per virtual machine,
//! search matching and the sort order of every column. The UI wraps these in list items.

use std::cmp::Ordering;
use std::time::Instant;

use crate::i18n::{gettext, pgettext};
use crate::model::{ConnectionId, DomainState, DomainUuid};

/// A connection's status as the tree shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostStatus {
    /// Opening, authenticating or reconnecting.
    Connecting,
    /// Connected and answering.
    Connected,
    /// Closed by the user, or dropped (with the reason) and waiting to reconnect.
    Disconnected(Option<String>),
    /// Could not connect; the reason in words (libvirt's message).
    Failed(String),
}

/// One connection row.
#[derive(Debug, Clone, PartialEq)]
pub struct HostSummary {
    pub id: ConnectionId,
    /// The user-given name, else the host name, else a label derived from the URI.
    pub label: String,
    pub uri: String,
    pub status: HostStatus,
    /// Set while the host misses its polling deadline: when its data was last fresh.
    pub stale_since: Option<Instant>,
    /// Guest CPU use summed over the host's VMs, in % of the host's capacity.
    pub cpu_percent: Option<f64>,
    /// Memory in use by guests and the host's total, in KiB.
    pub memory_used_kib: Option<u64>,
    pub memory_total_kib: Option<u64>,
    pub vm_count: usize,
}

/// One virtual machine row.
#[derive(Debug, Clone, PartialEq)]
pub struct VmSummary {
    pub connection: ConnectionId,
    pub uuid: DomainUuid,
    pub name: String,
    pub title: String,
    pub state: DomainState,
    /// Whether the machine has a persistent definition (a transient one vanishes when it stops).
    pub persistent: bool,
    /// The host's label, for the Host column of the one-list view and for search.
    pub host_label: String,
    /// An action in flight ("Starting…"), shown in the row until libvirt answers.
    pub busy: Option<String>,
    /// Guest CPU in % of its vCPUs, and of the host's CPUs.
    pub cpu_percent: Option<f64>,
    pub host_cpu_percent: Option<f64>,
    pub memory_used_kib: Option<u64>,
    pub memory_allocated_kib: u64,
    /// Bytes per second.
    pub disk_read_bps: Option<f64>,
    pub disk_write_bps: Option<f64>,
    pub net_rx_bps: Option<f64>,
    pub net_tx_bps: Option<f64>,
    /// When the host stopped answering, if it did: the values above are that old.
    pub stale_since: Option<Instant>,
}

impl VmSummary {
    /// A row for a VM whose statistics have not arrived yet.
    pub fn new(
        connection: ConnectionId,
        uuid: DomainUuid,
        name: String,
        host_label: String,
    ) -> Self {
        Self {
            connection,
            uuid,
            name,
            title: String::new(),
            state: DomainState::NoState,
            persistent: true,
            host_label,
            busy: None,
            cpu_percent: None,
            host_cpu_percent: None,
            memory_used_kib: None,
            memory_allocated_kib: 0,
            disk_read_bps: None,
            disk_write_bps: None,
            net_rx_bps: None,
            net_tx_bps: None,
            stale_since: None,
        }
    }

    /// Everything a statistics tick can change, to tell whether a row needs redrawing without
    /// comparing (or cloning) its strings.
    pub fn figures(&self) -> VmFigures {
        VmFigures {
            cpu_percent: self.cpu_percent,
            host_cpu_percent: self.host_cpu_percent,
            memory_used_kib: self.memory_used_kib,
            memory_allocated_kib: self.memory_allocated_kib,
            disk: (self.disk_read_bps, self.disk_write_bps),
            net: (self.net_rx_bps, self.net_tx_bps),
            stale_since: self.stale_since,
        }
    }

    /// Total disk throughput (read + write), for sorting.
    pub fn disk_total_bps(&self) -> Option<f64> {
        sum_options(self.disk_read_bps, self.disk_write_bps)
    }

    /// Total network throughput (receive + transmit), for sorting.
    pub fn net_total_bps(&self) -> Option<f64> {
        sum_options(self.net_rx_bps, self.net_tx_bps)
    }
}

/// The part of a VM row that statistics ticks change (see [`VmSummary::figures`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VmFigures {
    pub cpu_percent: Option<f64>,
    pub host_cpu_percent: Option<f64>,
    pub memory_used_kib: Option<u64>,
    pub memory_allocated_kib: u64,
    pub disk: (Option<f64>, Option<f64>),
    pub net: (Option<f64>, Option<f64>),
    pub stale_since: Option<Instant>,
}

fn sum_options(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
    }
}

/// The words for a domain state, as shown in the State column and matched by search.
pub fn state_label(state: DomainState) -> String {
    match state {
        DomainState::Running => pgettext("domain state", "Running"),
        DomainState::Blocked => pgettext("domain state", "Blocked"),
        DomainState::Paused => pgettext("domain state", "Paused"),
        DomainState::ShuttingDown => pgettext("domain state", "Shutting down"),
        DomainState::ShutOff => pgettext("domain state", "Shut off"),
        DomainState::Crashed => pgettext("domain state", "Crashed"),
        DomainState::PmSuspended => pgettext("domain state", "Suspended"),
        DomainState::NoState => pgettext("domain state", "Unknown"),
    }
}

/// The symbolic icon for a domain state.
pub fn state_icon(state: DomainState) -> &'static str {
    match state {
        DomainState::Running | DomainState::Blocked => "media-playback-start-symbolic",
        DomainState::Paused | DomainState::PmSuspended => "media-playback-pause-symbolic",
        DomainState::ShuttingDown => "system-shutdown-symbolic",
        DomainState::ShutOff => "media-playback-stop-symbolic",
        DomainState::Crashed => "dialog-error-symbolic",
        DomainState::NoState => "dialog-question-symbolic",
    }
}

/// A parsed search: lower-cased words that must all match (in name, title, state or host, or
/// the start of the UUID).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    words: Vec<String>,
    /// Each word without its dashes, as a UUID's start is compared (parsed once, not per VM).
    uuid_prefixes: Vec<String>,
}

impl Search {
    pub fn new(text: &str) -> Self {
        let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
        let uuid_prefixes = words.iter().map(|word| word.replace('-', "")).collect();
        Self {
            words,
            uuid_prefixes,
        }
    }

    /// Whether nothing is searched for (everything matches).
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Whether every word occurs in one of the VM's searchable fields. A UUID matches by its
    /// start only (with or without dashes): anywhere in 32 hex digits, "db" or "42" would
    /// match machines at random.
    pub fn matches(&self, vm: &VmSummary) -> bool {
        if self.words.is_empty() {
            return true;
        }
        let fields = [
            vm.name.to_lowercase(),
            vm.title.to_lowercase(),
            state_label(vm.state).to_lowercase(),
            vm.host_label.to_lowercase(),
        ];
        // A word that starts the dashed UUID also starts it without dashes: one comparison.
        let uuid_digits = vm.uuid.to_string().replace('-', "");
        self.words
            .iter()
            .zip(&self.uuid_prefixes)
            .all(|(word, prefix)| {
                fields.iter().any(|field| field.contains(word.as_str()))
                    || (!prefix.is_empty() && uuid_digits.starts_with(prefix.as_str()))
            })
    }

    /// Whether a connection row matches by itself (its label or URI).
    pub fn matches_host(&self, host: &HostSummary) -> bool {
        let label = host.label.to_lowercase();
        let uri = host.uri.to_lowercase();
        !self.words.is_empty()
            && self
                .words
                .iter()
                .all(|word| label.contains(word.as_str()) || uri.contains(word.as_str()))
    }
}

/// The fleet's sortable columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Name,
    State,
    Cpu,
    HostCpu,
    Memory,
    Disk,
    Network,
    Host,
}

/// Orders two VM rows by a column, ascending; ties fall back to the name so the order is stable.
/// Missing values sort before every present value.
pub fn compare_vms(column: Column, a: &VmSummary, b: &VmSummary) -> Ordering {
    let by_column = match column {
        Column::Name => Ordering::Equal,
        Column::State => state_rank(a.state).cmp(&state_rank(b.state)),
        Column::Cpu => cmp_f64(a.cpu_percent, b.cpu_percent),
        Column::HostCpu => cmp_f64(a.host_cpu_percent, b.host_cpu_percent),
        Column::Memory => a
            .memory_used_kib
            .cmp(&b.memory_used_kib)
            .then(a.memory_allocated_kib.cmp(&b.memory_allocated_kib)),
        Column::Disk => cmp_f64(a.disk_total_bps(), b.disk_total_bps()),
        Column::Network => cmp_f64(a.net_total_bps(), b.net_total_bps()),
        Column::Host => natural_cmp(&a.host_label, &b.host_label),
    };
    by_column
        .then_with(|| natural_cmp(&a.name, &b.name))
        .then_with(|| a.uuid.cmp(&b.uuid))
}

/// Running machines first, then paused, then the rest.
fn state_rank(state: DomainState) -> u8 {
    match state {
        DomainState::Running | DomainState::Blocked => 0,
        DomainState::ShuttingDown => 1,
        DomainState::Paused | DomainState::PmSuspended => 2,
        DomainState::Crashed => 3,
        DomainState::ShutOff => 4,
        DomainState::NoState => 5,
    }
}

fn cmp_f64(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.total_cmp(&b),
        (a, b) => a.is_some().cmp(&b.is_some()),
    }
}

/// Case-insensitive order in which digit runs compare by value: `web-2` before `web-10`.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let mut a_chars = a.chars().peekable();
    let mut b_chars = b.chars().peekable();
    loop {
        match (a_chars.peek().copied(), b_chars.peek().copied()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let take_number = |chars: &mut std::iter::Peekable<std::str::Chars>| {
                    let mut digits = String::new();
                    while let Some(c) = chars.peek().copied().filter(char::is_ascii_digit) {
                        digits.push(c);
                        chars.next();
                    }
                    digits
                };
                let (x, y) = (take_number(&mut a_chars), take_number(&mut b_chars));
                let (x_trim, y_trim) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                let order = x_trim
                    .len()
                    .cmp(&y_trim.len())
                    .then_with(|| x_trim.cmp(y_trim));
                if order != Ordering::Equal {
                    return order;
                }
            }
            (Some(x), Some(y)) => {
                let order = x.to_lowercase().cmp(y.to_lowercase());
                if order != Ordering::Equal {
                    return order;
                }
                a_chars.next();
                b_chars.next();
            }
        }
    }
}

/// The connection's state in a word or two, for the State column (the reason, which can be
/// long, stands under the host's name).
pub fn host_state_word(status: &HostStatus) -> String {
    match status {
        HostStatus::Connecting => gettext("Connecting…"),
        HostStatus::Connected => String::new(),
        HostStatus::Disconnected(_) => gettext("Disconnected"),
        HostStatus::Failed(_) => pgettext("connection state", "Failed"),
    }
}

/// The status line of a connection row: "Connecting…", the error, "Disconnected", or empty.
pub fn host_status_text(host: &HostSummary) -> String {
    match &host.status {
        HostStatus::Disconnected(Some(reason)) | HostStatus::Failed(reason) => reason.clone(),
        status => host_state_word(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vm(name: &str, state: DomainState, cpu: Option<f64>) -> VmSummary {
        let uuid = format!(
            "{:032x}",
            name.len() as u128 * 7919 + name.as_bytes()[0] as u128
        );
        let mut row = VmSummary::new(
            ConnectionId(1),
            uuid.parse().unwrap(),
            name.into(),
            "lab".into(),
        );
        row.state = state;
        row.cpu_percent = cpu;
        row
    }

    #[test]
    fn search_matches_every_word_in_any_field() {
        let mut row = vm("web-01", DomainState::Running, None);
        row.title = "Web frontend 1".into();
        row.host_label = "prod".into();
        assert!(Search::new("").matches(&row));
        assert!(Search::new("WEB").matches(&row));
        assert!(Search::new("frontend prod").matches(&row));
        assert!(Search::new("running").matches(&row));
        row.uuid = "3f2b8c1e-9d4a-4e6f-b7a2-5c8d1e0f9a3b".parse().unwrap();
        let uuid = row.uuid.to_string();
        assert!(Search::new(&uuid[..8]).matches(&row));
        assert!(Search::new(&uuid).matches(&row));
        assert!(Search::new(&uuid.replace('-', "")[..12]).matches(&row));
        // Inside the UUID is no match: two hex digits occur in most UUIDs.
        assert!(!Search::new(&uuid[9..13]).matches(&row));
        assert!(!Search::new("web edge").matches(&row));
        assert!(!Search::new("paused").matches(&row));
    }

    #[test]
    fn natural_order_compares_numbers_by_value() {
        let mut names = vec!["web-10", "web-2", "Web-1", "db", "web-02"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(names, ["db", "Web-1", "web-02", "web-2", "web-10"]);
    }

    #[test]
    fn cpu_sort_puts_missing_values_first_and_ties_by_name() {
        let a = vm("b", DomainState::Running, Some(50.0));
        let b = vm("a", DomainState::Running, Some(50.0));
        let c = vm("c", DomainState::ShutOff, None);
        let d = vm("d", DomainState::Running, Some(3.0));
        let mut rows = [a, b, c, d];
        rows.sort_by(|x, y| compare_vms(Column::Cpu, x, y));
        let names: Vec<_> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["c", "d", "a", "b"]);
        rows.sort_by(|x, y| compare_vms(Column::State, x, y));
        assert_eq!(rows.last().unwrap().name, "c");
    }
}
