/*
 * A disassembler plugin for HotSpot's PrintAssembly (and so for JMH's perfasm profiler) on a
 * machine with Debian's libhsdis0-fcml, whose library exports only the old entry point
 * decode_instructions(). JDK 17 asks for decode_instructions_virtual() and, without it, prints
 * compiled code as hex. This forwards the one to the other (the code is decoded where it lies:
 * HotSpot passes the buffer at its own address).
 *
 *   apt-get install libhsdis0-fcml
 *   gcc -shared -fPIC -O2 -o hsdis-amd64.so bench/tools/hsdis-shim.c -ldl
 *   JDK=/usr/lib/jvm/java-17-openjdk-amd64
 *   mv $JDK/lib/hsdis-amd64.so $JDK/lib/hsdis-amd64.so.fcml   # if the package linked it there
 *   cp hsdis-amd64.so $JDK/lib/
 */
#include <dlfcn.h>
#include <stdint.h>

typedef void *(*event_callback)(void *stream, const char *event, void *arg);
typedef int (*printf_callback)(void *stream, const char *format, ...);
typedef void *(*decode_fn)(void *start, void *end, event_callback event, void *event_stream,
                           printf_callback printf_fn, void *printf_stream, const char *options);

#define FCML_HSDIS "/usr/lib/x86_64-linux-gnu/libhsdis.so.0"

void *decode_instructions_virtual(uintptr_t start_va, uintptr_t end_va, unsigned char *buffer,
                                  uintptr_t length, event_callback event, void *event_stream,
                                  printf_callback printf_fn, void *printf_stream,
                                  const char *options, int newline) {
    static decode_fn decode;
    (void) start_va;
    (void) end_va;
    (void) newline;
    if (decode == 0) {
        void *library = dlopen(FCML_HSDIS, RTLD_NOW);
        if (library == 0) {
            return 0;
        }
        decode = (decode_fn) dlsym(library, "decode_instructions");
        if (decode == 0) {
            return 0;
        }
    }
    return decode(buffer, buffer + length, event, event_stream, printf_fn, printf_stream, options);
}
