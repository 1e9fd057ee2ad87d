//! Not measured: records `size_of` of the state types, as laid out on this
//! target, in a symbol that scripts/embedded-footprint.sh reads from the
//! ELF (`TYPE_SIZES`, in the order of `barews_firmware::TYPE_SIZE_NAMES`).
#![no_std]
#![no_main]

use barews_firmware::{TYPE_SIZE_COUNT, type_sizes};
use cortex_m_rt::entry;
use panic_halt as _;

#[used]
#[unsafe(no_mangle)]
static TYPE_SIZES: [u32; TYPE_SIZE_COUNT] = type_sizes();

#[entry]
fn main() -> ! {
    loop {
        cortex_m::asm::nop();
    }
}
