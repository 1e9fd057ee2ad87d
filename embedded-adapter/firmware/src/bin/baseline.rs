//! The empty firmware: vector table, reset handler, panic handler. Its
//! sizes are subtracted from every flow's.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use panic_halt as _;

#[entry]
fn main() -> ! {
    loop {
        cortex_m::asm::nop();
    }
}
