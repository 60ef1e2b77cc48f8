// Reader and writer for numpy's .npy files, the container of DeepOBS's prepared Tolstoi data
// (train.npy and test.npy, written by np.save).
//
// Layout (numpy's "NEP 1"): the magic "\x93NUMPY", a major and a minor version byte (1.0, 2.0 or
// 3.0), the header length (little-endian uint16 in 1.0, uint32 in 2.0 and 3.0), then the header:
// a Python dict literal such as {'descr': '<i8', 'fortran_order': False, 'shape': (2612948,), }
// padded with spaces and ended by '\n' (latin-1 text, UTF-8 in 3.0), then the raw elements.
//
// Only what DeepOBS's files can hold is supported: a one-dimensional array of integers of the
// default numpy integer type of the machine that prepared them. _tolstoi_preprocess.py builds its
// array with np.array(list_of_python_ints), whose dtype is the C `long` of that machine: int64 on
// 64-bit Linux and macOS ('<i8'), int32 on Windows before numpy 2 and on 32-bit systems ('<i4'),
// big-endian on big-endian hosts ('>i8', '>i4'). Those four are accepted; every other dtype
// (unsigned, other widths, floats, structured) is rejected, since no DeepOBS file has it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "core/tensor.h"

namespace deepobs::datasets {

// What a .npy header says.
struct NpyHeader {
  int major = 1;
  int minor = 0;
  std::string descr;  // e.g. "<i8"
  bool fortran_order = false;
  Shape shape;
  std::size_t data_offset = 0;  // bytes before the first element
};

// Parses the magic, version and header dict of the .npy image `bytes`; `name` stands in for the
// path in messages. Throws deepobs::Error with one line starting with `name` for a wrong magic,
// an unsupported version, a header that runs past the end of the file or is not a dict with
// exactly the keys 'descr', 'fortran_order' and 'shape'. Checks nothing about the data.
NpyHeader parse_npy_header(std::span<const std::uint8_t> bytes, const std::string& name);

// Parses a whole .npy image holding a one-dimensional integer array ('<i8', '<i4', '>i8' or
// '>i4', fortran_order False) and returns its values as a new i64 CPU tensor [n]. Besides the
// header errors above, throws for another dtype, fortran_order True, a shape that is not 1-D,
// and a size that does not match the header: fewer bytes than the shape promises ("truncated")
// or more ("trailing bytes"). Never reads out of bounds on any input.
Tensor parse_npy_int_vector(std::span<const std::uint8_t> bytes, const std::string& name);

// Reads the .npy file at `path` with parse_npy_int_vector (messages start with the path); a
// missing or unreadable file is an error too.
Tensor read_npy_int_vector(const std::filesystem::path& path);

// The bytes numpy 1.23 and later write for np.save(f, np.array(values, dtype='<i8')): format 1.0,
// the header dict with numpy's spare room for growing the shape, padded with spaces so that the
// data starts at a multiple of 64 bytes.
std::string npy_int64_bytes(std::span<const std::int64_t> values);

}  // namespace deepobs::datasets
