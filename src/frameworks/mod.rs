//! Frameworks: the schedulers that receive offers and launch tasks.

pub mod batch;
