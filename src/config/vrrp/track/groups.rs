//! `vrrp_sync_group` and `track_group`.

use super::*;

/// `vrrp_sync_group NAME { ... }`: instances that change state together.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncGroup {
    pub name: String,
    pub at: At,
    /// `group { VI ... }`: the member instances (resolved by [`super::super::Vrrp::check`]).
    pub group: Vec<Member>,
    /// `track_*` blocks: they act on every member.
    pub tracking: Tracking,
    pub notify: Notifies,
    /// `smtp_alert [BOOL]`.
    pub smtp_alert: Option<bool>,
    /// `notify_priority_changes [BOOL]`.
    pub notify_priority_changes: Option<bool>,
    /// `sync_group_tracking_weight` (also set by the deprecated `global_tracking`): members may
    /// keep weighted trackers.
    pub sync_group_tracking_weight: bool,
}

pub(in crate::config::vrrp) const SYNC_GROUP_KEYWORDS: &[&str] = &[
    "group",
    "track_interface",
    "track_script",
    "track_file",
    "track_process",
    "track_bfd",
    "notify_backup",
    "notify_master",
    "notify_fault",
    "notify_stop",
    "notify_deleted",
    "notify",
    "smtp_alert",
    "global_tracking",
    "sync_group_tracking_weight",
    "notify_priority_changes",
];

pub(in crate::config::vrrp) fn parse_sync_group(v: &mut Vrrp, node: &Node, d: &mut Diagnostics) {
    let Some(name) = block_name(d, node) else {
        return;
    };
    if v.sync_groups.iter().any(|g| g.name == name.text) {
        warn_at(
            d,
            At::word(name),
            format!(
                "vrrp_sync_group `{}` is already defined - skipping",
                name.text
            ),
        );
        return;
    }
    let Some(b) = value::expect_block(d, node) else {
        return;
    };
    let mut g = SyncGroup {
        name: name.text.clone(),
        at: At::word(name),
        group: Vec::new(),
        tracking: Tracking::default(),
        notify: Notifies::default(),
        smtp_alert: None,
        notify_priority_changes: None,
        sync_group_tracking_weight: false,
    };
    let mut had_group = false;
    for n in &b.nodes {
        let Some(kw) = n.words.first() else { continue };
        if g.notify.parse(d, n, false) || parse_tracking(v, d, n, &mut g.tracking) {
            continue;
        }
        match kw.text.as_str() {
            "group" => {
                if had_group {
                    warn_at(
                        d,
                        At::node(n),
                        format!(
                            "`group` already specified for vrrp_sync_group `{}` - ignoring this one",
                            g.name
                        ),
                    );
                    continue;
                }
                had_group = true;
                let Some(words) = block_words(d, n) else {
                    continue;
                };
                if words.is_empty() {
                    warn_at(
                        d,
                        At::node(n),
                        format!("vrrp_sync_group `{}` has an empty `group` block", g.name),
                    );
                }
                for w in words {
                    g.group.push(Member {
                        name: w.text.clone(),
                        at: At::word(w),
                    });
                }
            }
            "smtp_alert" => {
                if let Some(b) = opt_bool(d, n) {
                    g.smtp_alert = Some(b);
                }
            }
            "notify_priority_changes" => {
                if let Some(b) = opt_bool(d, n) {
                    g.notify_priority_changes = Some(b);
                }
            }
            "sync_group_tracking_weight" => {
                bare(d, n);
                g.sync_group_tracking_weight = true;
            }
            "global_tracking" => {
                bare(d, n);
                warn_at(
                    d,
                    At::node(n),
                    "`global_tracking` is deprecated - use track_interface/track_script/track_file on the sync group (read as `sync_group_tracking_weight`)",
                );
                g.sync_group_tracking_weight = true;
            }
            _ => value::unknown(
                d,
                kw,
                SYNC_GROUP_KEYWORDS,
                &format!("vrrp_sync_group {}", g.name),
            ),
        }
    }
    if g.group.is_empty() {
        warn_at(
            d,
            g.at,
            format!(
                "vrrp_sync_group `{}` has no member instances - removing it",
                g.name
            ),
        );
        return;
    }
    v.sync_groups.push(g);
}

impl SyncGroup {
    pub(in crate::config::vrrp) fn dump(&self, w: &mut Writer) {
        w.open("vrrp_sync_group", &[&self.name]);
        w.open("group", super::super::NO_WORDS);
        for m in &self.group {
            w.raw(&quote(&m.name));
        }
        w.close();
        self.tracking.dump(w);
        self.notify.dump(w);
        bool_line(w, "smtp_alert", self.smtp_alert);
        bool_line(w, "notify_priority_changes", self.notify_priority_changes);
        w.flag(
            "sync_group_tracking_weight",
            self.sync_group_tracking_weight,
        );
        w.close();
    }
}

/// `track_group NAME { group { VI ... } }`: instances that go to FAULT when a static address,
/// route or rule naming this group is deleted and cannot be restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackGroup {
    pub name: String,
    pub at: At,
    pub group: Vec<Member>,
}

pub(in crate::config::vrrp) fn parse_track_group(v: &mut Vrrp, node: &Node, d: &mut Diagnostics) {
    let Some(name) = block_name(d, node) else {
        return;
    };
    if v.track_groups.iter().any(|g| g.name == name.text) {
        warn_at(
            d,
            At::word(name),
            format!("track_group `{}` is already defined - skipping", name.text),
        );
        return;
    }
    let Some(b) = value::expect_block(d, node) else {
        return;
    };
    let mut g = TrackGroup {
        name: name.text.clone(),
        at: At::word(name),
        group: Vec::new(),
    };
    let mut had_group = false;
    for n in &b.nodes {
        let Some(kw) = n.words.first() else { continue };
        if kw.text != "group" {
            value::unknown(d, kw, &["group"], &format!("track_group {}", g.name));
            continue;
        }
        if had_group {
            warn_at(
                d,
                At::node(n),
                format!(
                    "`group` already specified for track_group `{}` - ignoring this one",
                    g.name
                ),
            );
            continue;
        }
        had_group = true;
        let Some(words) = block_words(d, n) else {
            continue;
        };
        if words.is_empty() {
            warn_at(
                d,
                At::node(n),
                format!("track_group `{}` has an empty `group` block", g.name),
            );
        }
        for w in words {
            g.group.push(Member {
                name: w.text.clone(),
                at: At::word(w),
            });
        }
    }
    if g.group.is_empty() {
        // keepalived 2.2.7 says nothing; 2.3+ removes the group.
        super::super::note_at(
            d,
            g.at,
            format!("track_group `{}` has no member instances", g.name),
        );
    }
    v.track_groups.push(g);
}

impl TrackGroup {
    pub(in crate::config::vrrp) fn dump(&self, w: &mut Writer) {
        w.open("track_group", &[&self.name]);
        w.open("group", super::super::NO_WORDS);
        for m in &self.group {
            w.raw(&quote(&m.name));
        }
        w.close();
        w.close();
    }
}
