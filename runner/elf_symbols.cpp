#include "runner/elf_symbols.h"

#include <elf.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "core/error.h"

namespace deepobs::runner {
namespace {

template <class T>
T read_at(const std::vector<char>& bytes, std::size_t offset, const std::string& path) {
  DEEPOBS_CHECK(offset + sizeof(T) <= bytes.size() && offset + sizeof(T) >= offset, path,
                ": truncated ELF file (an offset points past its end)");
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

}  // namespace

std::vector<std::string> exported_dynamic_symbols(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  DEEPOBS_CHECK(in.good(), path, ": cannot read the file");
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  DEEPOBS_CHECK(
      bytes.size() >= sizeof(Elf64_Ehdr) && std::memcmp(bytes.data(), ELFMAG, SELFMAG) == 0, path,
      ": not an ELF file");
  const auto header = read_at<Elf64_Ehdr>(bytes, 0, path);
  DEEPOBS_CHECK(header.e_ident[EI_CLASS] == ELFCLASS64 && header.e_ident[EI_DATA] == ELFDATA2LSB,
                path, ": not a 64-bit little-endian ELF file");
  DEEPOBS_CHECK(header.e_type == ET_DYN, path, ": not a shared library (ELF type ", header.e_type,
                ")");
  DEEPOBS_CHECK(header.e_shentsize == sizeof(Elf64_Shdr), path, ": unexpected section header size");

  std::vector<std::string> names;
  for (unsigned s = 0; s < header.e_shnum; ++s) {
    const auto section =
        read_at<Elf64_Shdr>(bytes, header.e_shoff + std::size_t{s} * sizeof(Elf64_Shdr), path);
    if (section.sh_type != SHT_DYNSYM) continue;
    DEEPOBS_CHECK(section.sh_link < header.e_shnum, path, ": .dynsym links to no string table");
    const auto strings = read_at<Elf64_Shdr>(
        bytes, header.e_shoff + std::size_t{section.sh_link} * sizeof(Elf64_Shdr), path);
    const std::size_t count = section.sh_size / sizeof(Elf64_Sym);
    for (std::size_t i = 1; i < count; ++i) {  // entry 0 is the reserved null symbol
      const auto sym = read_at<Elf64_Sym>(bytes, section.sh_offset + i * sizeof(Elf64_Sym), path);
      if (sym.st_shndx == SHN_UNDEF) continue;
      const unsigned bind = ELF64_ST_BIND(sym.st_info);
      if (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE) continue;
      const unsigned visibility = ELF64_ST_VISIBILITY(sym.st_other);
      if (visibility != STV_DEFAULT && visibility != STV_PROTECTED) continue;
      const std::size_t at = strings.sh_offset + sym.st_name;
      DEEPOBS_CHECK(at < bytes.size() && at >= strings.sh_offset, path,
                    ": a symbol name lies outside the file");
      const char* name = bytes.data() + at;
      names.emplace_back(name, strnlen(name, bytes.size() - at));
    }
  }
  return names;
}

}  // namespace deepobs::runner
