# bash completion for bootpipe: commands, options, pipeline files (*.ini),
# stage names (from `bootpipe stages`) and option values.
# Installed as share/bash-completion/completions/bootpipe; by hand:
#   source completions/bootpipe.bash

# Stage plugin names in the search path, honouring --plugin-dir on the line.
_bootpipe_stages()
{
	local -a dirs=()
	local i
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		[[ ${COMP_WORDS[i]} == --plugin-dir ]] &&
			dirs+=(--plugin-dir "${COMP_WORDS[i + 1]}")
	done
	"${COMP_WORDS[0]:-bootpipe}" stages "${dirs[@]}" 2>/dev/null |
		while read -r name _; do printf '%s\n' "$name"; done
}

_bootpipe_files()
{
	local IFS=$'\n'
	compopt -o filenames 2>/dev/null
	COMPREPLY=($(compgen -f -X "!$1" -- "$2") $(compgen -d -- "$2"))
}

_bootpipe()
{
	local cur=$2 prev=$3
	local commands="run plan check replay stages describe pipelines matrix test image help"
	local options="--set --dry-run --until --report --log-format --quiet
		--verbose --plugin-dir --allow-unsafe-plugins --workspace --pipeline --store
		--arch --kernel --vmconfig --qemu-config --rootfs --flow --debug --interactive --exec --shard
		--version --help"
	local command="" i

	COMPREPLY=()
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--set | --until | --report | --log-format | --plugin-dir | \
			--workspace | --pipeline | --store | --arch | --kernel | --vmconfig | \
			--qemu-config | --rootfs | --flow | --exec | --shard)
			((i++))
			;;
		-*) ;;
		*)
			command=${COMP_WORDS[i]}
			break
			;;
		esac
	done

	case $prev in
	--set)
		# STAGE.KEY=VALUE: offer the stages, then the user types the key
		compopt -o nospace 2>/dev/null
		COMPREPLY=($(compgen -W "$(_bootpipe_stages | sed 's/$/./')" -- "$cur"))
		return
		;;
	--until)
		COMPREPLY=($(compgen -W "$(_bootpipe_stages)" -- "$cur"))
		return
		;;
	--report)
		compopt -o nospace 2>/dev/null
		COMPREPLY=($(compgen -W "json= junit=" -- "$cur"))
		return
		;;
	--log-format)
		COMPREPLY=($(compgen -W "text json" -- "$cur"))
		return
		;;
	--arch)
		COMPREPLY=($(compgen -W "aarch64 x86_64 riscv64 loongarch64" -- "$cur"))
		return
		;;
	--flow)
		COMPREPLY=($(compgen -W "axvisor arceos starry" -- "$cur"))
		return
		;;
	--plugin-dir | --workspace)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		return
		;;
	--pipeline)
		_bootpipe_files '*.ini' "$cur"
		return
		;;
	--kernel | --vmconfig | --qemu-config | --rootfs)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--shard)
		COMPREPLY=($(compgen -W "1/2 2/2" -- "$cur"))
		return
		;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$options" -- "$cur"))
		return
	fi
	case $command in
	"")
		COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		;;
	run | plan | check | matrix)
		_bootpipe_files '*.ini' "$cur"
		;;
	replay)
		_bootpipe_files '*.@(ini|log|txt)' "$cur"
		;;
	describe)
		COMPREPLY=($(compgen -W "$(_bootpipe_stages)" -- "$cur"))
		;;
	pipelines | test)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		;;
	image)
		[[ $prev == image ]] &&
			COMPREPLY=($(compgen -W "ls pull rm verify" -- "$cur"))
		;;
	help)
		COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		;;
	esac
}
complete -F _bootpipe bootpipe
