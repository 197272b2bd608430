//! Scalar resources in fixed point: CPUs and GPUs in thousandths, memory and disk in MiB.
//!
//! Revocable CPUs (Mesos oversubscription, `docs/oversubscription.md`) are a fifth kind
//! of the same bundle, so that offers, accepts, task ends and every ledger carry them
//! with no second path. Where Mesos compares scalar quantities stripped of the
//! revocable flag (DRF shares: "the hierarchical allocator considers oversubscribed
//! resources as regular resources when doing fairness calculations", `hierarchical.hpp`;
//! `--min_allocatable_resources`), [`Resources::as_array`] counts them as CPUs.
//!
//! Mesos keeps resources as doubles and has had to fight rounding (MESOS-4687: it now
//! rounds scalars to three decimals). schedlab stores the same three decimals as
//! integers, so that adding and subtracting allocations never drifts, "over-committed"
//! is an exact comparison, and resources can be hashed into the run fingerprint.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};

/// A bundle of scalar resources.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Resources {
    /// CPUs in thousandths (1000 = one CPU).
    pub cpus: u64,
    /// Memory in MiB.
    pub mem: u64,
    /// Disk in MiB.
    pub disk: u64,
    /// GPUs in thousandths (fractional GPU requests, as in Alibaba's openb trace).
    pub gpus: u64,
    /// Revocable CPUs in thousandths: an agent's oversubscribed (allocated but idle)
    /// CPU, offered only to frameworks that opted in (`REVOCABLE_RESOURCES`), and
    /// taken back by the agent's QoS controller (`mesos::oversubscription`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub revocable_cpus: u64,
}

fn is_zero(x: &u64) -> bool {
    *x == 0
}

/// Hashes the regular kinds as the derived impl did before revocable CPUs existed and
/// revocable CPUs only when there are some, so that every run without oversubscription
/// keeps its golden fingerprint.
impl std::hash::Hash for Resources {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.cpus.hash(h);
        self.mem.hash(h);
        self.disk.hash(h);
        self.gpus.hash(h);
        if self.revocable_cpus != 0 {
            self.revocable_cpus.hash(h);
        }
    }
}

/// The names of the resource kinds, in the order `Resources::as_array` uses.
pub const KINDS: [&str; 4] = ["cpus", "mem", "disk", "gpus"];

impl Resources {
    pub const ZERO: Resources = Resources {
        cpus: 0,
        mem: 0,
        disk: 0,
        gpus: 0,
        revocable_cpus: 0,
    };

    /// Builds from human units: CPUs, MiB of memory.
    pub fn new(cpus: f64, mem_mib: u64) -> Resources {
        Resources {
            cpus: (cpus * 1000.0).round() as u64,
            mem: mem_mib,
            disk: 0,
            gpus: 0,
            revocable_cpus: 0,
        }
    }

    /// Only revocable CPUs.
    pub fn revocable(cpus: f64) -> Resources {
        Resources {
            revocable_cpus: (cpus * 1000.0).round() as u64,
            ..Resources::ZERO
        }
    }

    /// The same bundle without its revocable part (Mesos `Resources::nonRevocable`).
    pub fn non_revocable(&self) -> Resources {
        Resources {
            revocable_cpus: 0,
            ..*self
        }
    }

    /// All CPUs, revocable or not: what `--min_allocatable_resources` compares, as
    /// Mesos compares scalar quantities stripped of their revocable flag.
    pub fn all_cpus(&self) -> u64 {
        self.cpus + self.revocable_cpus
    }

    pub fn with_disk(mut self, disk_mib: u64) -> Resources {
        self.disk = disk_mib;
        self
    }

    pub fn with_gpus(mut self, gpus: f64) -> Resources {
        self.gpus = (gpus * 1000.0).round() as u64;
        self
    }

    /// The scalar quantities in [`KINDS`] order, revocable CPUs counted as CPUs (Mesos'
    /// `createStrippedScalarQuantity`): what shares and minimum offers compare.
    pub fn as_array(&self) -> [u64; 4] {
        [self.all_cpus(), self.mem, self.disk, self.gpus]
    }

    /// Regular kinds only (no revocable CPUs).
    pub fn from_array(a: [u64; 4]) -> Resources {
        Resources {
            cpus: a[0],
            mem: a[1],
            disk: a[2],
            gpus: a[3],
            revocable_cpus: 0,
        }
    }

    /// Every kind, revocable CPUs last: what the kind-wise operations run over.
    fn all(&self) -> [u64; 5] {
        [
            self.cpus,
            self.mem,
            self.disk,
            self.gpus,
            self.revocable_cpus,
        ]
    }

    fn from_all(a: [u64; 5]) -> Resources {
        Resources {
            cpus: a[0],
            mem: a[1],
            disk: a[2],
            gpus: a[3],
            revocable_cpus: a[4],
        }
    }

    pub fn is_zero(&self) -> bool {
        *self == Resources::ZERO
    }

    /// True if every kind of `self` is at least that of `other`.
    #[inline]
    pub fn contains(&self, other: &Resources) -> bool {
        self.cpus >= other.cpus
            && self.mem >= other.mem
            && self.disk >= other.disk
            && self.gpus >= other.gpus
            && self.revocable_cpus >= other.revocable_cpus
    }

    /// `self - other`, or `None` if some kind would go negative.
    #[inline]
    pub fn checked_sub(&self, other: &Resources) -> Option<Resources> {
        Some(Resources {
            cpus: self.cpus.checked_sub(other.cpus)?,
            mem: self.mem.checked_sub(other.mem)?,
            disk: self.disk.checked_sub(other.disk)?,
            gpus: self.gpus.checked_sub(other.gpus)?,
            revocable_cpus: self.revocable_cpus.checked_sub(other.revocable_cpus)?,
        })
    }

    /// Kind-wise minimum.
    pub fn min(&self, other: &Resources) -> Resources {
        let (a, b) = (self.all(), other.all());
        Resources::from_all(std::array::from_fn(|i| a[i].min(b[i])))
    }

    /// Kind-wise `self - other`, floored at zero.
    pub fn saturating_sub(&self, other: &Resources) -> Resources {
        let (a, b) = (self.all(), other.all());
        Resources::from_all(std::array::from_fn(|i| a[i].saturating_sub(b[i])))
    }

    /// `n` copies of `self`.
    pub fn times(&self, n: u64) -> Resources {
        Resources::from_all(self.all().map(|x| x * n))
    }

    /// Share of each kind in `total` (kinds absent from the cluster count as 0).
    pub fn shares(&self, total: &Resources) -> [f64; 4] {
        let (a, t) = (self.as_array(), total.as_array());
        std::array::from_fn(|i| {
            if t[i] == 0 {
                0.0
            } else {
                a[i] as f64 / t[i] as f64
            }
        })
    }

    /// The DRF dominant share: the largest share over the kinds (DRF paper, section 4).
    pub fn dominant_share(&self, total: &Resources) -> f64 {
        self.shares(total).into_iter().fold(0.0, f64::max)
    }

    pub fn cpus_f64(&self) -> f64 {
        self.cpus as f64 / 1000.0
    }
}

impl Add for Resources {
    type Output = Resources;
    #[inline]
    fn add(self, o: Resources) -> Resources {
        Resources {
            cpus: self.cpus + o.cpus,
            mem: self.mem + o.mem,
            disk: self.disk + o.disk,
            gpus: self.gpus + o.gpus,
            revocable_cpus: self.revocable_cpus + o.revocable_cpus,
        }
    }
}

impl AddAssign for Resources {
    #[inline]
    fn add_assign(&mut self, o: Resources) {
        *self = *self + o;
    }
}

/// Panics on underflow: subtracting what is not there is a bookkeeping bug.
impl Sub for Resources {
    type Output = Resources;
    #[inline]
    fn sub(self, o: Resources) -> Resources {
        self.checked_sub(&o)
            .unwrap_or_else(|| panic!("resource underflow: {self} - {o}"))
    }
}

impl SubAssign for Resources {
    #[inline]
    fn sub_assign(&mut self, o: Resources) {
        *self = *self - o;
    }
}

impl fmt::Display for Resources {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "cpus:{}; mem:{}", self.cpus_f64(), self.mem)?;
        if self.disk > 0 {
            write!(f, "; disk:{}", self.disk)?;
        }
        if self.gpus > 0 {
            write!(f, "; gpus:{}", self.gpus as f64 / 1000.0)?;
        }
        if self.revocable_cpus > 0 {
            write!(
                f,
                "; cpus(revocable):{}",
                self.revocable_cpus as f64 / 1000.0
            )?;
        }
        Ok(())
    }
}
