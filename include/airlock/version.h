#pragma once
#define AIRLOCK_VERSION "0.1.0"
