"""Textual's Pilot waits for the process to go idle after each key and pause: it sleeps 20 ms at a time until
a 20 ms stretch passes with under 1 ms of CPU, so each wait cost 40-60 ms after the work itself was done, most
of the tui suite's time. The same test in 5 ms stretches (under 0.25 ms of CPU) ends when the work does.

Pilot.pause() still drains every widget's messages and forces a screen update before it returns, as before."""

import textual._wait as textual_wait

textual_wait.SLEEP_GRANULARITY = 0.005
textual_wait.SLEEP_IDLE = textual_wait.SLEEP_GRANULARITY / 20.0
