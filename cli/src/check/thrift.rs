//! A walk over Thrift compact-protocol bytes (Parquet's metadata) that checks what a
//! decoder would allocate for: every list, set, map and binary must fit in the bytes that
//! remain (each element takes at least one byte), and nesting stays within a depth.
//! parquet 59 reserves a row-group list's stated size before reading it
//! (`Vec::with_capacity` of up to 2^31 row groups), which aborts instead of failing.

/// Nesting deeper than this is refused (parquet's own skipping stops at 64).
const MAX_DEPTH: usize = 64;

// Compact protocol type codes.
const STOP: u8 = 0;
const BOOL_TRUE: u8 = 1;
const BOOL_FALSE: u8 = 2;
const BYTE: u8 = 3;
const I16: u8 = 4;
const I32: u8 = 5;
const I64: u8 = 6;
const DOUBLE: u8 = 7;
const BINARY: u8 = 8;
const LIST: u8 = 9;
const SET: u8 = 10;
const MAP: u8 = 11;
const STRUCT: u8 = 12;
const UUID: u8 = 13;

/// Checks that `bytes` start with one well-formed struct; returns its length.
pub fn check_struct(bytes: &[u8]) -> Result<usize, String> {
    check_struct_fields(bytes).map(|(len, _)| len)
}

/// [`check_struct`], and the struct's own integer fields as `(field id, value)`.
pub fn check_struct_fields(bytes: &[u8]) -> Result<(usize, Vec<(i16, i64)>), String> {
    let mut walk = Walk {
        bytes,
        position: 0,
        top_level: vec![],
    };
    walk.value(STRUCT, 0)?;
    Ok((walk.position, walk.top_level))
}

struct Walk<'a> {
    bytes: &'a [u8],
    position: usize,
    top_level: Vec<(i16, i64)>,
}

impl Walk<'_> {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.position
    }

    fn byte(&mut self) -> Result<u8, String> {
        let byte = *self
            .bytes
            .get(self.position)
            .ok_or_else(|| format!("the metadata ends inside a value at byte {}", self.position))?;
        self.position += 1;
        Ok(byte)
    }

    fn skip(&mut self, n: usize) -> Result<(), String> {
        if n > self.remaining() {
            return Err(format!(
                "a value of {n} bytes at byte {} of {}",
                self.position,
                self.bytes.len()
            ));
        }
        self.position += n;
        Ok(())
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift.min(63);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(format!(
            "a varint longer than 10 bytes at byte {}",
            self.position
        ))
    }

    /// A collection of `size` elements, each at least a byte, must fit.
    fn size(&mut self, size: u64, what: &str) -> Result<usize, String> {
        if size > self.remaining() as u64 {
            return Err(format!(
                "a {what} of {size} elements in the {} bytes that remain at byte {}",
                self.remaining(),
                self.position
            ));
        }
        Ok(size as usize)
    }

    fn value(&mut self, kind: u8, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("values nested more than {MAX_DEPTH} deep"));
        }
        match kind {
            BOOL_TRUE | BOOL_FALSE | BYTE => self.skip(1),
            I16 | I32 | I64 => self.varint().map(drop),
            DOUBLE => self.skip(8),
            UUID => self.skip(16),
            BINARY => {
                let len = self.varint()?;
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                self.skip(len)
            }
            LIST | SET => {
                let header = self.byte()?;
                let size = match header >> 4 {
                    15 => self.varint()?,
                    small => u64::from(small),
                };
                let element = header & 0x0f;
                let size = self.size(size, "list")?;
                for _ in 0..size {
                    // A boolean element is a byte of its own in a list.
                    match element {
                        BOOL_TRUE | BOOL_FALSE => self.skip(1)?,
                        _ => self.value(element, depth + 1)?,
                    }
                }
                Ok(())
            }
            MAP => {
                let size = self.varint()?;
                let size = self.size(size, "map")?;
                if size == 0 {
                    return Ok(());
                }
                let types = self.byte()?;
                for _ in 0..size {
                    self.value(types >> 4, depth + 1)?;
                    self.value(types & 0x0f, depth + 1)?;
                }
                Ok(())
            }
            STRUCT => {
                let mut field_id = 0i16;
                loop {
                    let header = self.byte()?;
                    let field_type = header & 0x0f;
                    if field_type == STOP {
                        return Ok(());
                    }
                    field_id = match header >> 4 {
                        // A field id that is not a delta: a zigzag varint follows.
                        0 => zigzag(self.varint()?) as i16,
                        delta => field_id.wrapping_add(i16::from(delta)),
                    };
                    match field_type {
                        // A struct field's boolean is in its header.
                        BOOL_TRUE | BOOL_FALSE => {}
                        I16 | I32 | I64 if depth == 0 => {
                            let value = zigzag(self.varint()?);
                            self.top_level.push((field_id, value));
                        }
                        _ => self.value(field_type, depth + 1)?,
                    }
                }
            }
            other => Err(format!(
                "an unknown value type {other} at byte {}",
                self.position
            )),
        }
    }
}

fn zigzag(n: u64) -> i64 {
    (n >> 1) as i64 ^ -((n & 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_structs_pass() {
        // {1: i32 7, 2: list<i32>[1, 2], 3: binary "ab", 4: true, 5: {}} STOP
        let bytes = [
            0x15, 0x0e, 0x19, 0x25, 0x02, 0x04, 0x18, 0x02, b'a', b'b', 0x11, 0x1c, 0x00, 0x00,
        ];
        assert_eq!(check_struct(&bytes), Ok(bytes.len()));
        assert_eq!(check_struct_fields(&bytes), Ok((bytes.len(), vec![(1, 7)])));
        // Field 300 (an explicit id), i32 -3.
        let explicit = [0x05, 0xd8, 0x04, 0x05, 0x00];
        assert_eq!(check_struct_fields(&explicit), Ok((5, vec![(300, -3)])));
    }

    #[test]
    fn sizes_beyond_the_bytes_fail() {
        // A list of 2^31-1 structs in four bytes.
        let list = [0x19, 0xfc, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00];
        let error = check_struct(&list).unwrap_err();
        assert!(error.contains("a list of 2147483647 elements"), "{error}");
        // A binary of 2^40 bytes.
        let binary = [0x18, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x00];
        assert!(check_struct(&binary).unwrap_err().contains("a value of"));
        // Truncated, nested too deep, unknown type.
        assert!(check_struct(&[0x15]).is_err());
        assert!(check_struct(&[0x1c; 100]).unwrap_err().contains("nested"));
        assert!(check_struct(&[0x1e, 0x00]).unwrap_err().contains("unknown"));
    }
}
