# Sourced by test scripts: stand_in_kernel PATH E_MACHINE writes a real,
# minimal ELF64 kernel.

# le VALUE BYTES: VALUE as little-endian printf escapes
le() {
	local i
	for ((i = 0; i < $2; i++)); do
		printf '\\x%02x' $((($1 >> (8 * i)) & 255))
	done
}

# stand_in_kernel PATH E_MACHINE: the smallest real ELF64 executable of
# that machine, one PT_LOAD of 4 bytes at 0x40080000; plan mode needs the
# kernel to exist and to be an ELF for to_bin, as a build leaves it
stand_in_kernel() {
	local addr=$((0x40080000))
	mkdir -p "$(dirname "$1")"
	printf "\\x7fELF\\x02\\x01\\x01$(le 0 9)$(le 2 2)$(le "$2" 2)$(le 1 4)\
$(le $addr 8)$(le 64 8)$(le 0 8)$(le 0 4)$(le 64 2)$(le 56 2)$(le 1 2)\
$(le 64 2)$(le 0 2)$(le 0 2)\
$(le 1 4)$(le 5 4)$(le 120 8)$(le $addr 8)$(le $addr 8)$(le 4 8)$(le 4 8)\
$(le 4 8)\\x00\\x00\\x00\\x14" >"$1"
}
