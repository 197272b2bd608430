//! The randomized scenario of one fuzz seed, and what it covers.
//!
//! A seed draws, from its own ChaCha stream, a cluster (1, 3 or 5 masters on a
//! coordination ensemble of 3 or 5 servers; one or two racks of agents; reservations,
//! quota and weights), one to three frameworks of any kind (batch, Marathon, Chronos,
//! Aurora, YARN) and a fault schedule over everything the engine can break: crashes
//! with and without restart (agents, masters, coordination servers, framework
//! schedulers), explicit restarts, partitions (agents from everyone, agents from the
//! masters only, masters from the ensemble, a server from its peers, a framework from
//! the masters), link changes (latency on every link; loss, duplication and
//! reordering only where the link allows it: masters and agents, and the coordination
//! service, talk over TCP, which delays but neither loses, duplicates nor reorders; a
//! broken connection is a partition), and operators marking agents gone.
//!
//! The scenario is written as scenario TOML and read by the same parser as a user's
//! file, so `fuzz --dump` shows exactly what ran and every key is checked as a user's
//! would be. Each choice records a coverage tag; `schedlab fuzz` prints how many seeds
//! covered each.

use crate::scenario::Scenario;
use crate::sim::fault::Fault;
use crate::sim::net::{Latency, LinkModel};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt::Write;

use crate::actor::SEC;

/// One seed's scenario and the coverage tags of what it draws.
pub struct Generated {
    pub scenario: Scenario,
    /// What the seed exercises (`"fault: crash agent, restart"`, `"framework: aurora"`,
    /// ...), each tag once, in the order drawn.
    pub covers: Vec<&'static str>,
}

/// Every coverage tag the generator can record, in the order `fuzz` prints them; a
/// test checks that a few thousand seeds cover all of them.
pub const TAGS: &[&str] = &[
    "masters: 1",
    "masters: 3",
    "masters: 5",
    "coord servers: 3",
    "coord servers: 5",
    "agents return: shutdown (Mesos < 1.5)",
    "agents return: reregister (Mesos 1.5+)",
    "framework: batch",
    "framework: marathon",
    "framework: chronos",
    "framework: aurora",
    "framework: yarn",
    "framework: partition aware",
    "framework: failover_timeout",
    "marathon: constraints",
    "marathon: deployment",
    "aurora: preemption (production and preemptible)",
    "aurora: update",
    "aurora: revocable tier",
    "agents: oversubscription",
    "allocator: reservations",
    "allocator: quota",
    "allocator: weights",
    "links: lossy framework links",
    "fault: crash agent, restart",
    "fault: crash agent",
    "fault: restart (explicit)",
    "fault: mark agent gone",
    "fault: partition agent",
    "fault: partition agent from masters",
    "fault: link latency, agent-masters",
    "fault: link loss, framework-masters",
    "fault: link duplication, framework-masters",
    "fault: link reordering, framework-masters",
    "fault: crash framework, restart",
    "fault: crash framework",
    "fault: partition framework from masters",
    "fault: crash master, restart",
    "fault: crash master",
    "fault: partition master from coord",
    "fault: partition master from agents",
    "fault: crash coord server, restart",
    "fault: partition coord server",
    "fault: link latency, masters-coord",
];

struct Gen {
    rng: ChaCha8Rng,
    /// Draws added after the generator's stream was settled (oversubscription) come
    /// from here, so that every other draw of a seed, and the scenarios of the seeds
    /// pinned in tests, stay what they were.
    side: ChaCha8Rng,
    covers: Vec<&'static str>,
    toml: String,
}

impl Gen {
    fn cover(&mut self, tag: &'static str) {
        debug_assert!(TAGS.contains(&tag), "unknown coverage tag {tag}");
        if !self.covers.contains(&tag) {
            self.covers.push(tag);
        }
    }

    fn line(&mut self, text: impl AsRef<str>) {
        self.toml.push_str(text.as_ref());
        self.toml.push('\n');
    }

    fn pick<T: Clone>(&mut self, from: &[T]) -> T {
        from.choose(&mut self.rng)
            .expect("a non-empty choice")
            .clone()
    }
}

/// The scenario of `seed`.
pub fn generate(seed: u64) -> Generated {
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(seed),
        side: ChaCha8Rng::seed_from_u64(seed ^ 0x6f76_6572),
        covers: Vec::new(),
        toml: String::new(),
    };
    let stop = g.rng.gen_range(300..=900u64);
    // (The seed is set after parsing: a TOML integer stops at 2^63 - 1.)
    g.line(format!("name = \"fuzz-{seed}\""));
    g.line(format!("[run]\nstop = \"{stop}s\"\nstop_when_done = false"));

    // Masters: 1, 3 or 5; several need an ensemble of 3 or 5.
    let masters = g.pick(&[1u32, 1, 3, 3, 5]);
    let servers = if masters == 1 {
        0
    } else {
        g.pick(&[3u32, 3, 5])
    };
    g.cover(match masters {
        1 => "masters: 1",
        3 => "masters: 3",
        _ => "masters: 5",
    });
    let offer_timeout = g.rng.gen_range(10..=60);
    g.line(format!(
        "[masters]\ncount = {masters}\noffer_timeout = \"{offer_timeout}s\""
    ));
    if g.rng.gen_bool(0.5) {
        g.line("agent_return = \"reregister\"");
        g.cover("agents return: reregister (Mesos 1.5+)");
    } else {
        g.cover("agents return: shutdown (Mesos < 1.5)");
    }
    if servers > 0 {
        g.line(format!("[coord]\nservers = {servers}"));
        g.cover(if servers == 3 {
            "coord servers: 3"
        } else {
            "coord servers: 5"
        });
    }

    // Frameworks first (their roles are what reservations, quota and weights name),
    // written after the agents.
    let kinds = ["batch", "batch", "marathon", "chronos", "aurora", "yarn"];
    let count = g.rng.gen_range(1..=3);
    let names: Vec<String> = (0..count).map(|i| format!("fw{i}")).collect();
    let mut frameworks = String::new();
    for name in &names {
        let kind = g.pick(&kinds);
        frameworks.push_str(&framework(&mut g, name, kind, stop));
    }

    // One or two racks of agents.
    let racks = g.rng.gen_range(1..=2u32);
    let per_rack = g.rng.gen_range(2..=8u32);
    let cpus = g.rng.gen_range(2..=16u32);
    let mem = g.rng.gen_range(4..=64u32) * 1024;
    let launch_delay = g.rng.gen_range(0..=500u32);
    let mut agent_names = Vec::new();
    for r in 0..racks {
        let rack = ["ra", "rb"][r as usize];
        g.line(format!(
            "[[agents]]\nname = \"{rack}\"\ncount = {per_rack}\ncpus = {cpus}\nmem = {mem}\n\
             launch_delay = \"{launch_delay}ms\"\nattributes = {{ rack = \"{rack}\" }}"
        ));
        if g.rng.gen_bool(0.25) {
            let role = g.pick(&names);
            let rc = g.rng.gen_range(1..=cpus.min(4));
            g.line(format!(
                "reserve = [{{ role = \"{role}\", cpus = {rc}, mem = {} }}]",
                rc * 1024
            ));
            g.cover("allocator: reservations");
        }
        if g.side.gen_bool(0.3) {
            let usage = g.side.gen_range(1..=9) as f64 / 10.0;
            let offer = g.side.gen_range(5..=10) as f64 / 10.0;
            let every = g.side.gen_range(5..=30);
            g.line(format!(
                "[agents.oversubscription]\nusage = {usage}\noffer = {offer}\ninterval = \"{every}s\""
            ));
            g.cover("agents: oversubscription");
        }
        agent_names.extend((0..per_rack).map(|i| format!("{rack}-{i}")));
    }
    let total_cpus = cpus * racks * per_rack;
    let total_mem = mem * racks * per_rack;
    g.toml.push_str(&frameworks);

    // Weights and quota on the frameworks' roles.
    g.line("[allocator]");
    if g.rng.gen_bool(0.3) {
        let role = g.pick(&names);
        let w = g.rng.gen_range(2..=4);
        g.line(format!("weights = {{ {role} = {w} }}"));
        g.cover("allocator: weights");
    }
    if g.rng.gen_bool(0.3) {
        let role = g.pick(&names);
        let share = g.rng.gen_range(1..=4) as f64 / 10.0;
        g.line(format!(
            "quota.{role} = {{ cpus = {}, mem = {} }}",
            (total_cpus as f64 * share).floor(),
            (total_mem as f64 * share).floor()
        ));
        g.cover("allocator: quota");
    }

    // Masters, agents and the ensemble talk over TCP: delays, no silent loss.
    // Frameworks may lose messages: retries, offer timeouts and reconciliation cope.
    let lat_mean = g.rng.gen_range(100..=2000u32);
    let lat_std = g.rng.gen_range(50..=1000u32);
    g.line(format!(
        "[network.default]\nlatency = {{ dist = \"log_normal\", mean = \"{lat_mean}us\", std = \"{lat_std}us\" }}\nfifo = true"
    ));
    let loss = g.pick(&[0.0, 0.001, 0.01]);
    if loss > 0.0 {
        g.line(format!(
            "[[network.links]]\nfrom = \"frameworks\"\nto = \"masters\"\nloss = {loss}\n\
             latency = {{ dist = \"log_normal\", mean = \"{lat_mean}us\", std = \"{lat_std}us\" }}\nfifo = true"
        ));
        g.cover("links: lossy framework links");
    }

    let mut scenario =
        Scenario::parse(&g.toml, "fuzz").unwrap_or_else(|e| panic!("the generated scenario: {e}"));
    scenario.seed = seed;
    scenario.faults = faults(
        &mut g,
        stop * SEC,
        &agent_names,
        &names,
        masters,
        servers,
        lat_mean,
    );
    Generated {
        scenario,
        covers: g.covers,
    }
}

/// One `[[frameworks]]` table of `kind`.
fn framework(g: &mut Gen, name: &str, kind: &'static str, stop: u64) -> String {
    let mut t =
        format!("[[frameworks]]\nkind = \"{kind}\"\nname = \"{name}\"\nrole = \"{name}\"\n");
    if g.rng.gen_bool(0.5) {
        t.push_str("partition_aware = true\n");
        g.cover("framework: partition aware");
    }
    let reconcile = g.rng.gen_range(30..=120);
    let _ = writeln!(t, "reconcile_interval = \"{reconcile}s\"");
    if g.rng.gen_bool(0.5) {
        let f = g.pick(&[60, 600, 3600]);
        let _ = writeln!(t, "failover_timeout = \"{f}s\"");
        g.cover("framework: failover_timeout");
    }
    let size = |g: &mut Gen| {
        (
            g.rng.gen_range(1..=4) as f64 / 2.0,
            g.rng.gen_range(1..=8) * 512,
        )
    };
    match kind {
        "batch" => {
            g.cover("framework: batch");
            let (c, m) = size(g);
            let _ = write!(
                t,
                "tasks_per_offer = {}\nfailure_rate = {}\n[frameworks.workload]\nkind = \"synthetic\"\n\
                 jobs = {}\ninterarrival = \"{}s\"\ntasks_min = 1\ntasks_max = {}\ncpus = {c}\nmem = {m}\n\
                 duration_mean = \"{}s\"\nduration_std = \"{}s\"\n",
                g.rng.gen_range(0..=3),
                g.pick(&[0.0, 0.05, 0.2]),
                g.rng.gen_range(5..=60),
                g.rng.gen_range(1..=20),
                g.rng.gen_range(1..=12),
                g.rng.gen_range(5..=300),
                g.rng.gen_range(1..=100),
            );
        }
        "marathon" => {
            g.cover("framework: marathon");
            let apps = g.rng.gen_range(1..=3);
            for a in 0..apps {
                let (c, m) = size(g);
                let instances = g.rng.gen_range(1..=8);
                let _ = write!(
                    t,
                    "[[frameworks.apps]]\nid = \"app{a}\"\ninstances = {instances}\ncpus = {c}\nmem = {m}\n"
                );
                let constraint = g.pick(&[
                    "",
                    "[[\"hostname\", \"UNIQUE\"]]",
                    "[[\"rack\", \"GROUP_BY\"]]",
                    "[[\"rack\", \"CLUSTER\"]]",
                    "[[\"hostname\", \"MAX_PER\", \"2\"]]",
                    "[[\"rack\", \"LIKE\", \"r[ab]\"]]",
                ]);
                if !constraint.is_empty() {
                    let _ = writeln!(t, "constraints = {constraint}");
                    g.cover("marathon: constraints");
                }
                if g.rng.gen_bool(0.5) {
                    let _ = writeln!(
                        t,
                        "health = {{ grace = \"{}s\", interval = \"{}s\", max_consecutive_failures = {} }}\n\
                         unhealthy_mean = \"{}s\"",
                        g.rng.gen_range(10..=120),
                        g.rng.gen_range(5..=60),
                        g.rng.gen_range(1..=3),
                        g.rng.gen_range(60..=1200),
                    );
                }
                if g.rng.gen_bool(0.5) {
                    let _ = writeln!(t, "crash_mean = \"{}s\"", g.rng.gen_range(60..=1200));
                }
                let _ = writeln!(
                    t,
                    "upgrade = {{ minimum_health_capacity = {}, maximum_over_capacity = {} }}",
                    g.pick(&[0.0, 0.5, 0.8, 1.0]),
                    // (1, 0) replaces with one instance over capacity, as Marathon does.
                    g.pick(&[0.0, 0.2, 0.5, 1.0]),
                );
            }
            for _ in 0..g.rng.gen_range(0..=2) {
                let app = g.rng.gen_range(0..apps);
                let at = g.rng.gen_range(0..stop);
                let change = match g.rng.gen_range(0..3) {
                    0 => format!("instances = {}", g.rng.gen_range(0..=10)),
                    1 => format!("mem = {}", g.rng.gen_range(1..=8) * 512),
                    _ => "restart = true".to_string(),
                };
                let _ = writeln!(
                    t,
                    "[[frameworks.deployments]]\nat = \"{at}s\"\napp = \"app{app}\"\n{change}"
                );
                g.cover("marathon: deployment");
            }
        }
        "chronos" => {
            g.cover("framework: chronos");
            let period = g.rng.gen_range(1..=10);
            let (c, m) = size(g);
            let _ = write!(
                t,
                "[[frameworks.jobs]]\nname = \"root\"\nschedule = \"R/2026-01-01T00:00:{:02}Z/PT{period}M\"\n\
                 cpus = {c}\nmem = {m}\nduration = {{ dist = \"exponential\", mean = \"{}s\" }}\n\
                 failure_rate = {}\nretries = {}\n",
                g.rng.gen_range(0..60),
                g.rng.gen_range(5..=200),
                g.pick(&[0.0, 0.1, 0.3]),
                g.rng.gen_range(0..=2),
            );
            for child in 0..g.rng.gen_range(0..=2) {
                let (c, m) = size(g);
                let _ = write!(
                    t,
                    "[[frameworks.jobs]]\nname = \"child{child}\"\nparents = [\"root\"]\ncpus = {c}\nmem = {m}\n\
                     duration = {{ dist = \"uniform\", low = \"5s\", high = \"{}s\" }}\n",
                    g.rng.gen_range(10..=200),
                );
            }
        }
        "aurora" => {
            g.cover("framework: aurora");
            let delay = g.rng.gen_range(10..=180);
            let _ = writeln!(t, "preemption_delay = \"{delay}s\"");
            let revocable = g.side.gen_bool(0.5);
            if revocable {
                let _ = writeln!(t, "revocable_resources = true");
            }
            let jobs = g.rng.gen_range(1..=3);
            let mut tiers = Vec::new();
            for j in 0..jobs {
                let (c, m) = size(g);
                let tier = g.pick(&["production", "preemptible"]);
                tiers.push(tier);
                let batch = g.rng.gen_bool(0.3);
                let _ = write!(
                    t,
                    "[[frameworks.jobs]]\nname = \"job{j}\"\nrole = \"{}\"\ninstances = {}\ncpus = {c}\nmem = {m}\n\
                     tier = \"{tier}\"\npriority = {}\nsubmit = \"{}s\"\n",
                    g.pick(&["www-data", "research"]),
                    g.rng.gen_range(1..=20),
                    g.rng.gen_range(0..=2),
                    g.rng.gen_range(0..stop / 2),
                );
                if batch {
                    let _ = writeln!(
                        t,
                        "type = \"batch\"\nduration = {{ dist = \"exponential\", mean = \"{}s\" }}\nfailure_rate = {}",
                        g.rng.gen_range(10..=300),
                        g.pick(&[0.0, 0.1]),
                    );
                }
            }
            if revocable {
                // A revocable backlog, after the jobs the updates may name.
                let _ = write!(
                    t,
                    "[[frameworks.jobs]]\nname = \"spare\"\nrole = \"research\"\ninstances = {}\ncpus = 0.5\nmem = 256\n\
                     tier = \"revocable\"\npriority = {}\n",
                    g.side.gen_range(1..=10),
                    g.side.gen_range(0..=2),
                );
                if g.side.gen_bool(0.5) {
                    let _ = writeln!(
                        t,
                        "type = \"batch\"\nduration = {{ dist = \"exponential\", mean = \"{}s\" }}",
                        g.side.gen_range(10..=300),
                    );
                }
                g.cover("aurora: revocable tier");
            }
            if tiers.contains(&"production") && tiers.contains(&"preemptible") {
                g.cover("aurora: preemption (production and preemptible)");
            }
            if g.rng.gen_bool(0.4) {
                let _ = writeln!(
                    t,
                    "[[frameworks.updates]]\nat = \"{}s\"\njob = \"job{}\"\nmem = {}\nbatch_size = {}\nwatch = \"{}s\"",
                    g.rng.gen_range(0..stop),
                    g.rng.gen_range(0..jobs),
                    g.rng.gen_range(1..=8) * 512,
                    g.rng.gen_range(1..=5),
                    g.rng.gen_range(10..=60),
                );
                g.cover("aurora: update");
            }
        }
        _ => {
            g.cover("framework: yarn");
            let _ = write!(
                t,
                "nm_cpus = {}\nnm_mem = {}\nmin_nms = 0\nmax_nms = {}\nflex_down_idle = \"{}s\"\n\
                 [frameworks.workload]\nkind = \"synthetic\"\njobs = {}\ninterarrival = \"{}s\"\n\
                 tasks_min = 1\ntasks_max = {}\ncpus = 0.5\nmem = 512\nduration_mean = \"{}s\"\nduration_std = \"{}s\"\n",
                g.rng.gen_range(1..=2),
                g.rng.gen_range(1..=4) * 1024,
                g.rng.gen_range(1..=8),
                g.rng.gen_range(30..=120),
                g.rng.gen_range(3..=20),
                g.rng.gen_range(5..=30),
                g.rng.gen_range(1..=8),
                g.rng.gen_range(10..=120),
                g.rng.gen_range(1..=60),
            );
        }
    }
    t
}

/// The fault schedule: agents' and frameworks' faults for every seed, the control
/// plane's when there are several masters.
#[allow(clippy::too_many_arguments)]
fn faults(
    g: &mut Gen,
    stop: u64,
    agents: &[String],
    frameworks: &[String],
    masters: u32,
    servers: u32,
    lat_mean: u32,
) -> Vec<Fault> {
    let mut out = Vec::new();
    let slow = |g: &mut Gen| LinkModel {
        latency: Latency::LogNormal {
            mean: (lat_mean as u64 * 1000) * g.rng.gen_range(5..=50),
            std: (lat_mean as u64 * 1000) * g.rng.gen_range(1..=10),
        },
        loss: 0.0,
        duplicate: 0.0,
        fifo: true,
    };
    for _ in 0..g.rng.gen_range(0..=8) {
        let at = g.rng.gen_range(0..stop);
        let until = Some(at + g.rng.gen_range(5..=300) * SEC);
        let dur = g.rng.gen_range(5..=300) * SEC;
        let agent = g.pick(agents);
        let fw = g.pick(frameworks);
        let fault = match g.rng.gen_range(0..12) {
            0 | 1 => {
                g.cover("fault: crash agent, restart");
                Fault::crash(at, &agent, Some(dur))
            }
            2 => {
                g.cover("fault: crash agent");
                Fault::crash(at, &agent, None)
            }
            3 => {
                // A crash without restart_after and an operator's restart later.
                g.cover("fault: restart (explicit)");
                out.push(Fault::crash(at, &agent, None));
                Fault::Restart {
                    at: at + dur,
                    target: vec![agent],
                }
            }
            4 => {
                g.cover("fault: mark agent gone");
                Fault::MarkGone {
                    at,
                    target: vec![agent],
                }
            }
            5 | 6 => {
                g.cover("fault: partition agent");
                Fault::partition(at, until, &[&agent], &[])
            }
            7 => {
                g.cover("fault: partition agent from masters");
                Fault::partition(at, until, &[&agent], &["masters"])
            }
            8 => {
                g.cover("fault: link latency, agent-masters");
                Fault::Link {
                    at,
                    until,
                    a: vec![agent],
                    b: vec!["masters".into()],
                    link: slow(g),
                }
            }
            9 => {
                let mut link = slow(g);
                match g.rng.gen_range(0..3) {
                    0 => {
                        link.loss = g.pick(&[0.01, 0.05]);
                        g.cover("fault: link loss, framework-masters");
                    }
                    1 => {
                        link.duplicate = g.pick(&[0.01, 0.1]);
                        g.cover("fault: link duplication, framework-masters");
                    }
                    _ => {
                        link.fifo = false;
                        g.cover("fault: link reordering, framework-masters");
                    }
                }
                Fault::Link {
                    at,
                    until,
                    a: vec![fw],
                    b: vec!["masters".into()],
                    link,
                }
            }
            10 => {
                if g.rng.gen_bool(0.5) {
                    g.cover("fault: crash framework, restart");
                    Fault::crash(at, &fw, Some(dur))
                } else {
                    g.cover("fault: crash framework");
                    Fault::crash(at, &fw, None)
                }
            }
            _ => {
                g.cover("fault: partition framework from masters");
                Fault::partition(at, until, &[&fw], &["masters"])
            }
        };
        out.push(fault);
    }
    if masters > 1 {
        for _ in 0..g.rng.gen_range(1..=5) {
            let at = g.rng.gen_range(0..stop);
            let dur = g.rng.gen_range(5..=120) * SEC;
            let until = Some(at + dur);
            let master = format!("master-{}", g.rng.gen_range(0..masters));
            let server = format!("coord-{}", g.rng.gen_range(0..servers));
            out.push(match g.rng.gen_range(0..7) {
                0 | 1 => {
                    g.cover("fault: crash master, restart");
                    Fault::crash(at, &master, Some(dur))
                }
                2 => {
                    g.cover("fault: partition master from coord");
                    Fault::partition(at, until, &[&master], &["coord"])
                }
                3 => {
                    g.cover("fault: partition master from agents");
                    Fault::partition(at, until, &[&master], &["agents"])
                }
                4 => {
                    g.cover("fault: crash coord server, restart");
                    Fault::crash(at, &server, Some(dur))
                }
                5 => {
                    g.cover("fault: partition coord server");
                    Fault::partition(at, until, &[&server], &[])
                }
                _ => {
                    g.cover("fault: link latency, masters-coord");
                    Fault::Link {
                        at,
                        until,
                        a: vec![master],
                        b: vec!["coord".into()],
                        link: slow(g),
                    }
                }
            });
        }
        // A master that is crashed for good, now and then: the others carry on.
        if g.rng.gen_bool(0.1) {
            g.cover("fault: crash master");
            let master = format!("master-{}", g.rng.gen_range(0..masters));
            out.push(Fault::crash(g.rng.gen_range(0..stop), &master, None));
        }
    }
    out
}
