// weft.hpp: the whole runtime API (see API.md).
#pragma once

#include <weft/blocking.hpp>
#include <weft/chan.hpp>
#include <weft/panic.hpp>
#include <weft/runtime.hpp>
#include <weft/select.hpp>
#include <weft/sync.hpp>
#include <weft/time.hpp>
