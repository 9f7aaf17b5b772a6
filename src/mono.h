/*
 * mono.h - milliseconds of the monotonic clock, for deadlines and pauses
 * that a change of the wall clock must not stretch or cut short.
 */
#ifndef CFSENDMAIL_MONO_H
#define CFSENDMAIL_MONO_H

/* CLOCK_MONOTONIC in ms: only differences mean anything. */
long long mono_ms(void);
/* Sleep ms milliseconds, through signals. */
void mono_sleep_ms(long long ms);

#endif
