//! Which machines the driver asks one by one at every tick on hosts whose bulk statistics lack
//! CPU, memory, disk or network figures, where each costs a libvirt call per machine per tick:
//! the rows on screen (and the margin GTK keeps bound around them) and the open machine's
//! page. Every other running machine is read about every ten seconds, so host and fleet
//! totals, the busiest list and a row scrolled into view show figures at most that old, never
//! gaps. Sorted by a column those calls fill, every row's figure decides its place, so then
//! every machine is read at every tick.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use hangar::driver::PerDomainScope;
use hangar::fleet::Column;
use hangar::model::{ConnectionId, DomainUuid};

use super::{Shown, Window};

/// How old an off-screen machine's figures may get.
const OFF_SCREEN_PERIOD: Duration = Duration::from_secs(10);

/// Every how many ticks an off-screen machine is read at this polling interval.
fn others_every(interval: Duration) -> u32 {
    let interval = interval.as_secs_f64().max(0.001);
    (OFF_SCREEN_PERIOD.as_secs_f64() / interval).ceil().max(1.0) as u32
}

impl Window {
    /// Tells each connection which machines need their per-domain calls at every tick (after
    /// a tick and when the selection changes; the driver applies it from its next tick).
    pub(super) fn update_per_domain_scopes(&mut self) {
        let sorted_by_figures = matches!(
            self.fleet.sort_column(),
            Some(Column::Cpu | Column::HostCpu | Column::Memory | Column::Disk | Column::Network)
        );
        let mut wanted: HashMap<ConnectionId, HashSet<DomainUuid>> = HashMap::new();
        if !sorted_by_figures {
            for (connection, uuid) in self.fleet.bound_vms() {
                wanted.entry(connection).or_default().insert(uuid);
            }
            if let Shown::Vm(connection, uuid) = self.shown {
                wanted.entry(connection).or_default().insert(uuid);
            }
        }
        let others_every = others_every(self.open_options().poll_interval);
        for (id, entry) in &mut self.hosts {
            let scope = if sorted_by_figures {
                PerDomainScope::All
            } else {
                PerDomainScope::Only {
                    domains: wanted.remove(id).unwrap_or_default(),
                    others_every,
                }
            };
            if entry.per_domain_scope != scope {
                entry.connection.set_per_domain_scope(scope.clone());
                entry.per_domain_scope = scope;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_screen_machines_are_read_about_every_ten_seconds() {
        assert_eq!(others_every(Duration::from_secs(1)), 10);
        assert_eq!(others_every(Duration::from_secs(3)), 4);
        assert_eq!(others_every(Duration::from_secs(10)), 1);
        assert_eq!(others_every(Duration::from_secs(60)), 1);
    }
}
