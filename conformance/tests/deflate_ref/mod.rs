//! A small reference DEFLATE decoder (RFC 1951), written for the tests
//! and independent of the library under test: slow (one bit at a time),
//! simple, and it reports the farthest back-reference it followed, which
//! tells whether a compressor kept to an agreed window.

/// Why a stream did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Error {
    /// The input ended inside a block.
    Truncated,
    /// A block type of 3, a bad stored length, or a code that is not in
    /// the table.
    Invalid,
    /// A back-reference before the start of the history.
    TooFar,
}

/// What decoding one message gave.
#[derive(Debug, Clone, Default)]
pub(crate) struct Decoded {
    /// The farthest back-reference distance used.
    pub(crate) max_distance: usize,
}

struct Input<'a> {
    data: &'a [u8],
    pos: usize,
    /// Bits of `data[pos]` already used.
    used: u32,
}

impl Input<'_> {
    fn bit(&mut self) -> Result<u32, Error> {
        let byte = *self.data.get(self.pos).ok_or(Error::Truncated)?;
        let bit = u32::from(byte >> self.used) & 1;
        self.used += 1;
        if self.used == 8 {
            self.used = 0;
            self.pos += 1;
        }
        Ok(bit)
    }

    /// `n` bits, least significant first.
    fn bits(&mut self, n: u32) -> Result<u32, Error> {
        let mut value = 0;
        for i in 0..n {
            value |= self.bit()? << i;
        }
        Ok(value)
    }

    fn align(&mut self) {
        if self.used != 0 {
            self.used = 0;
            self.pos += 1;
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.data.len()
    }
}

/// A canonical Huffman code: how many codes of each length, and the
/// symbols in code order.
struct Code {
    counts: [u16; 16],
    symbols: Vec<u16>,
}

impl Code {
    fn new(lengths: &[u8]) -> Code {
        let mut counts = [0u16; 16];
        for &len in lengths {
            counts[usize::from(len)] += 1;
        }
        counts[0] = 0;
        let mut offsets = [0u16; 16];
        for len in 1..15 {
            offsets[len + 1] = offsets[len] + counts[len];
        }
        let mut symbols = vec![0; lengths.len()];
        for (symbol, &len) in lengths.iter().enumerate() {
            if len != 0 {
                let slot = &mut offsets[usize::from(len)];
                symbols[usize::from(*slot)] = u16::try_from(symbol).unwrap();
                *slot += 1;
            }
        }
        Code { counts, symbols }
    }

    /// Reads one symbol: codes are packed most significant bit first.
    fn decode(&self, input: &mut Input<'_>) -> Result<u16, Error> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= i32::try_from(input.bit()?).unwrap();
            let count = i32::from(self.counts[len]);
            if code - count < first {
                let at = usize::try_from(index + code - first).unwrap();
                return self.symbols.get(at).copied().ok_or(Error::Invalid);
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        Err(Error::Invalid)
    }
}

const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LENGTH_EXTRA: [u8; 29] =
    [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DISTANCE_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DISTANCE_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

/// The order in which code-length code lengths are sent.
const CODE_LENGTH_ORDER: [usize; 19] =
    [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

fn fixed_codes() -> (Code, Code) {
    let mut lengths = [0u8; 288];
    lengths[..144].fill(8);
    lengths[144..256].fill(9);
    lengths[256..280].fill(7);
    lengths[280..].fill(8);
    (Code::new(&lengths), Code::new(&[5; 30]))
}

fn dynamic_codes(input: &mut Input<'_>) -> Result<(Code, Code), Error> {
    let literals = usize::try_from(input.bits(5)?).unwrap() + 257;
    let distances = usize::try_from(input.bits(5)?).unwrap() + 1;
    let code_lengths = usize::try_from(input.bits(4)?).unwrap() + 4;
    let mut lengths = [0u8; 19];
    for &at in &CODE_LENGTH_ORDER[..code_lengths] {
        lengths[at] = u8::try_from(input.bits(3)?).unwrap();
    }
    let lengths_code = Code::new(&lengths);
    let mut lengths = Vec::with_capacity(literals + distances);
    while lengths.len() < literals + distances {
        let symbol = lengths_code.decode(input)?;
        let (value, repeat) = match symbol {
            0..=15 => (u8::try_from(symbol).unwrap(), 1),
            16 => (*lengths.last().ok_or(Error::Invalid)?, 3 + input.bits(2)?),
            17 => (0, 3 + input.bits(3)?),
            18 => (0, 11 + input.bits(7)?),
            _ => return Err(Error::Invalid),
        };
        for _ in 0..repeat {
            lengths.push(value);
        }
    }
    if lengths.len() != literals + distances || lengths[256] == 0 {
        return Err(Error::Invalid);
    }
    Ok((Code::new(&lengths[..literals]), Code::new(&lengths[literals..])))
}

/// Decodes the raw DEFLATE data `data` (a whole permessage-deflate
/// message with its `00 00 ff ff` tail put back), appending to `history`,
/// which holds what earlier messages decoded to (empty without context
/// takeover). Stops after a final block or at the end of the input.
pub(crate) fn inflate(data: &[u8], history: &mut Vec<u8>) -> Result<Decoded, Error> {
    let mut input = Input { data, pos: 0, used: 0 };
    let mut decoded = Decoded::default();
    while !input.at_end() {
        let last = input.bit()? == 1;
        match input.bits(2)? {
            0 => {
                input.align();
                let header = data.get(input.pos..input.pos + 4).ok_or(Error::Truncated)?;
                let len = u16::from_le_bytes([header[0], header[1]]);
                let nlen = u16::from_le_bytes([header[2], header[3]]);
                if len != !nlen {
                    return Err(Error::Invalid);
                }
                let start = input.pos + 4;
                let bytes = data.get(start..start + usize::from(len)).ok_or(Error::Truncated)?;
                history.extend_from_slice(bytes);
                input.pos = start + usize::from(len);
            }
            kind @ (1 | 2) => {
                let (literals, distances) =
                    if kind == 1 { fixed_codes() } else { dynamic_codes(&mut input)? };
                loop {
                    let symbol = usize::from(literals.decode(&mut input)?);
                    if symbol < 256 {
                        history.push(u8::try_from(symbol).unwrap());
                        continue;
                    }
                    if symbol == 256 {
                        break;
                    }
                    let at = symbol - 257;
                    let (Some(&base), Some(&extra)) = (LENGTH_BASE.get(at), LENGTH_EXTRA.get(at))
                    else {
                        return Err(Error::Invalid);
                    };
                    let len =
                        usize::from(base) + usize::try_from(input.bits(u32::from(extra))?).unwrap();
                    let at = usize::from(distances.decode(&mut input)?);
                    let (Some(&base), Some(&extra)) =
                        (DISTANCE_BASE.get(at), DISTANCE_EXTRA.get(at))
                    else {
                        return Err(Error::Invalid);
                    };
                    let distance =
                        usize::from(base) + usize::try_from(input.bits(u32::from(extra))?).unwrap();
                    if distance > history.len() {
                        return Err(Error::TooFar);
                    }
                    decoded.max_distance = decoded.max_distance.max(distance);
                    for _ in 0..len {
                        history.push(history[history.len() - distance]);
                    }
                }
            }
            _ => return Err(Error::Invalid),
        }
        if last {
            break;
        }
    }
    Ok(decoded)
}

#[test]
fn decodes_the_rfc_7692_examples() {
    // RFC 7692 section 7.2.3.1 and 7.2.3.2: "Hello", then "Hello" again
    // as a back-reference 5 bytes into the first.
    let mut history = Vec::new();
    let first = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff];
    assert_eq!(inflate(&first, &mut history).unwrap().max_distance, 0);
    assert_eq!(history, b"Hello");
    let second = [0xf2, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff];
    assert_eq!(inflate(&second, &mut history).unwrap().max_distance, 5);
    assert_eq!(history, b"HelloHello");
    // The second alone refers to nothing.
    assert_eq!(inflate(&second, &mut Vec::new()).unwrap_err(), Error::TooFar);
    // 7.2.3.3: a stored block.
    let mut history = Vec::new();
    inflate(
        &[0x00, 0x05, 0x00, 0xfa, 0xff, b'H', b'e', b'l', b'l', b'o', 0x00, 0x00, 0x00, 0xff, 0xff],
        &mut history,
    )
    .unwrap();
    assert_eq!(history, b"Hello");
}
