//! Scalar resources in fixed point: CPUs and GPUs in thousandths, memory and disk in MiB.
//!
//! Mesos keeps resources as doubles and has had to fight rounding (MESOS-4687: it now
//! rounds scalars to three decimals). schedlab stores the same three decimals as
//! integers, so that adding and subtracting allocations never drifts, "over-committed"
//! is an exact comparison, and resources can be hashed into the run fingerprint.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};

/// A bundle of scalar resources.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Resources {
    /// CPUs in thousandths (1000 = one CPU).
    pub cpus: u64,
    /// Memory in MiB.
    pub mem: u64,
    /// Disk in MiB.
    pub disk: u64,
    /// GPUs in thousandths (fractional GPU requests, as in Alibaba's openb trace).
    pub gpus: u64,
}

/// The names of the resource kinds, in the order `Resources::as_array` uses.
pub const KINDS: [&str; 4] = ["cpus", "mem", "disk", "gpus"];

impl Resources {
    pub const ZERO: Resources = Resources {
        cpus: 0,
        mem: 0,
        disk: 0,
        gpus: 0,
    };

    /// Builds from human units: CPUs, MiB of memory.
    pub fn new(cpus: f64, mem_mib: u64) -> Resources {
        Resources {
            cpus: (cpus * 1000.0).round() as u64,
            mem: mem_mib,
            disk: 0,
            gpus: 0,
        }
    }

    pub fn with_disk(mut self, disk_mib: u64) -> Resources {
        self.disk = disk_mib;
        self
    }

    pub fn with_gpus(mut self, gpus: f64) -> Resources {
        self.gpus = (gpus * 1000.0).round() as u64;
        self
    }

    pub fn as_array(&self) -> [u64; 4] {
        [self.cpus, self.mem, self.disk, self.gpus]
    }

    pub fn from_array(a: [u64; 4]) -> Resources {
        Resources {
            cpus: a[0],
            mem: a[1],
            disk: a[2],
            gpus: a[3],
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
    }

    /// `self - other`, or `None` if some kind would go negative.
    #[inline]
    pub fn checked_sub(&self, other: &Resources) -> Option<Resources> {
        Some(Resources {
            cpus: self.cpus.checked_sub(other.cpus)?,
            mem: self.mem.checked_sub(other.mem)?,
            disk: self.disk.checked_sub(other.disk)?,
            gpus: self.gpus.checked_sub(other.gpus)?,
        })
    }

    /// Kind-wise minimum.
    pub fn min(&self, other: &Resources) -> Resources {
        Resources::from_array(std::array::from_fn(|i| {
            self.as_array()[i].min(other.as_array()[i])
        }))
    }

    /// Kind-wise `self - other`, floored at zero.
    pub fn saturating_sub(&self, other: &Resources) -> Resources {
        Resources::from_array(std::array::from_fn(|i| {
            self.as_array()[i].saturating_sub(other.as_array()[i])
        }))
    }

    /// `n` copies of `self`.
    pub fn times(&self, n: u64) -> Resources {
        Resources::from_array(self.as_array().map(|x| x * n))
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
        Ok(())
    }
}
