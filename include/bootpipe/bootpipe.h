/* Umbrella header: everything a plugin or an embedder needs. */
#ifndef BOOTPIPE_H
#define BOOTPIPE_H

#include <bootpipe/context.h>
#include <bootpipe/defaults.h>
#include <bootpipe/engine.h>
#include <bootpipe/error.h>
#include <bootpipe/keys.h>
#include <bootpipe/log.h>
#include <bootpipe/pipeline.h>
#include <bootpipe/plugin.h>
#include <bootpipe/toml.h>
#include <bootpipe/util.h>
#include <bootpipe/version.h>

#endif
