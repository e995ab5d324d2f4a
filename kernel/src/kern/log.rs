//! The `log` facade's backend: records go to the console with a timestamp,
//! level and module, filtered per module by the `log=` command-line spec
//! (e.g. `log=info,uvm::fault=trace`).

use crate::arch::x86_64::tsc;
use ferrite_cmdline::{LogFilter, Options};
use log::{Log, Metadata, Record};
use spin::Once;

struct ConsoleLogger {
    filter: LogFilter,
}

static LOGGER: Once<ConsoleLogger> = Once::new();

fn level_name(level: log::Level) -> &'static str {
    match level {
        log::Level::Error => "error",
        log::Level::Warn => "warn",
        log::Level::Info => "info",
        log::Level::Debug => "debug",
        log::Level::Trace => "trace",
    }
}

/// Strip the crate name so targets read like `uvm::fault`.
fn short_target(target: &str) -> &str {
    target.strip_prefix("ferrite::").unwrap_or(target)
}

impl Log for ConsoleLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= self.filter.level_for(metadata.target())
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let hz = tsc::hz();
        let t = tsc::since_boot();
        let secs = t.checked_div(hz).unwrap_or(0);
        let micros = (t % hz.max(1)) * 1_000_000 / hz.max(1);
        crate::kprintln!(
            "[{secs:5}.{micros:06}] {:<5} {}: {}",
            level_name(record.level()),
            short_target(record.target()),
            record.args()
        );
    }

    fn flush(&self) {}
}

/// Install the console logger with the command line's filter.
pub fn init(opts: &Options) {
    let logger = LOGGER.call_once(|| ConsoleLogger {
        filter: opts.log.clone(),
    });
    if log::set_logger(logger).is_ok() {
        log::set_max_level(logger.filter.max_level());
    }
}
