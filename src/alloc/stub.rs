//! TEMPORARY flat DRF allocator used until the allocator family lands (replaced on merge).

use super::*;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AllocatorConfig {
    pub policy: Policy,
    pub min_allocatable: Resources,
}

impl Default for AllocatorConfig {
    fn default() -> Self {
        AllocatorConfig {
            policy: Policy::Drf,
            min_allocatable: Resources::new(0.01, 32),
        }
    }
}

pub fn build(cfg: &AllocatorConfig) -> Box<dyn Allocator> {
    Box::new(Flat {
        cfg: cfg.clone(),
        ..Default::default()
    })
}

pub fn jain_index(xs: &[f64]) -> f64 {
    let s: f64 = xs.iter().sum();
    let s2: f64 = xs.iter().map(|x| x * x).sum();
    if xs.is_empty() || s2 == 0.0 {
        1.0
    } else {
        s * s / (xs.len() as f64 * s2)
    }
}

#[derive(Default)]
struct Flat {
    cfg: AllocatorConfig,
    agents: BTreeMap<AgentId, (Resources, Resources)>,
    fws: BTreeMap<FrameworkId, (Resources, bool)>,
    filters: BTreeMap<(FrameworkId, AgentId), Time>,
    total: Resources,
}

impl Allocator for Flat {
    fn add_framework(&mut self, fw: FrameworkId, _role: &str) {
        self.fws.insert(fw, (Resources::ZERO, false));
    }
    fn remove_framework(&mut self, fw: FrameworkId) {
        self.fws.remove(&fw);
    }
    fn add_agent(&mut self, agent: AgentId, total: Resources) {
        self.agents.insert(agent, (total, Resources::ZERO));
        self.total += total;
    }
    fn remove_agent(&mut self, agent: AgentId) {
        if let Some((t, _)) = self.agents.remove(&agent) {
            self.total -= t;
        }
    }
    fn add_allocated(&mut self, agent: AgentId, fw: FrameworkId, res: Resources) {
        self.agents.get_mut(&agent).unwrap().1 += res;
        self.fws.get_mut(&fw).unwrap().0 += res;
    }
    fn recover(&mut self, agent: AgentId, fw: FrameworkId, res: Resources) {
        if let Some(a) = self.agents.get_mut(&agent) {
            a.1 -= res;
        }
        if let Some(f) = self.fws.get_mut(&fw) {
            f.0 -= res;
        }
    }
    fn filter(&mut self, fw: FrameworkId, agent: AgentId, until: Time) {
        self.filters.insert((fw, agent), until);
    }
    fn suppress(&mut self, fw: FrameworkId, suppressed: bool) {
        if let Some(f) = self.fws.get_mut(&fw) {
            f.1 = suppressed;
        }
    }
    fn set_weight(&mut self, _role: &str, _weight: f64) {}
    fn set_quota(&mut self, _role: &str, _guarantee: Resources) {}
    fn reserve(&mut self, _agent: AgentId, _role: &str, _res: Resources) {}
    fn allocate(&mut self, now: Time, _rng: &mut ChaCha8Rng) -> Vec<OfferDecision> {
        self.filters.retain(|_, until| *until > now);
        let mut out = Vec::new();
        let agents: Vec<AgentId> = self.agents.keys().copied().collect();
        for a in agents {
            let (t, used) = self.agents[&a];
            let free = t - used;
            if free.cpus < self.cfg.min_allocatable.cpus && free.mem < self.cfg.min_allocatable.mem
            {
                continue;
            }
            let total = self.total;
            let best = self
                .fws
                .iter()
                .filter(|(f, (_, s))| !*s && !self.filters.contains_key(&(**f, a)))
                .map(|(f, (r, _))| (r.dominant_share(&total), *f))
                .min_by(|x, y| x.partial_cmp(y).unwrap());
            if let Some((_, f)) = best {
                self.add_allocated(a, f, free);
                out.push(OfferDecision {
                    framework: f,
                    agent: a,
                    resources: free,
                });
            }
        }
        out
    }
    fn shares(&self) -> Vec<(FrameworkId, f64)> {
        self.fws
            .iter()
            .map(|(f, (r, _))| (*f, r.dominant_share(&self.total)))
            .collect()
    }
}
