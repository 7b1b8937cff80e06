/*
 * The restore's system calls in a C loop, per-second figures: how fast this machine makes them
 * with one or two busy threads, minute by minute, with no JVM involved. docs/performance.md
 * (section 2) uses it to tell the machine's own slow periods from the agent's.
 *
 *   gcc -O2 -o /tmp/restore_loop bench/c/restore_loop.c -lpthread
 *   /tmp/restore_loop DIR THREADS SECONDS [shared|raw]
 *
 * DIR holds the benchmark's files (<java.io.tmpdir>/fdcap-bench-data/2000x16384 once the miss
 * benchmark has run). Each thread loops: pick a random file; stat(2) the victim's path, lseek,
 * close it; open the file, statx it, lseek; then lseek and read 4 KiB, as a restore followed by
 * a read does. Without "shared" each thread cycles one descriptor of its own; with it, the threads
 * share one set of up to 188 open files (a FIFO of victims under a mutex, a spin flag per file),
 * so that a thread closes descriptors the other opened, as the agent's threads do. With "raw",
 * a descriptor per thread and only the five calls the miss benchmark's raw baseline makes (lseek,
 * close, open, statx, lseek: no path stat, no read). Prints, every second, each thread's
 * nanoseconds per loop.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILES 100000
#define MAX_THREADS 8
#define CAPACITY 188
#define STATX_ALL_BASIC 0x7ffU

static char **names;
static int nfiles;
static int shared;
static int raw;
static int fds[MAX_FILES];
static atomic_int busy[MAX_FILES];
static int fifo[MAX_FILES];
static int head, tail, queued;
static pthread_mutex_t fifo_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { volatile long loops; char pad[56]; } counts[MAX_THREADS];

static void take(int k) {
    for (;;) {
        int free_ = 0;
        if (atomic_compare_exchange_weak(&busy[k], &free_, 1)) return;
        __builtin_ia32_pause();
    }
}

static int try_take(int k) {
    int free_ = 0;
    return atomic_compare_exchange_strong(&busy[k], &free_, 1);
}

static void give(int k) { atomic_store(&busy[k], 0); }

static void push(int k) {
    pthread_mutex_lock(&fifo_lock);
    fifo[tail] = k;
    tail = (tail + 1) % MAX_FILES;
    queued++;
    pthread_mutex_unlock(&fifo_lock);
}

static int pop_if_full(void) {
    int v = -1;
    pthread_mutex_lock(&fifo_lock);
    if (queued >= CAPACITY) {
        v = fifo[head];
        head = (head + 1) % MAX_FILES;
        queued--;
    }
    pthread_mutex_unlock(&fifo_lock);
    return v;
}

static void suspend(int fd, const char *path) {
    struct statx sx;
    if (!raw) statx(AT_FDCWD, path, 0, STATX_ALL_BASIC, &sx);
    lseek(fd, 0, SEEK_CUR);
    close(fd);
}

static int restore(const char *path) {
    struct statx sx;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    statx(fd, "", AT_EMPTY_PATH, STATX_ALL_BASIC, &sx);
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static void *run(void *arg) {
    long id = (long) arg;
    unsigned r = (unsigned) id * 7919u + 1u;
    char buf[4096];
    int own = open(names[0], O_RDONLY | O_CLOEXEC), own_file = 0;
    for (;;) {
        r = r * 1103515245u + 12345u;
        int k = (int) ((r >> 8) % (unsigned) nfiles);
        off_t off = (off_t) ((r >> 3) % 4u) * 4096;
        if (!shared) {
            suspend(own, names[own_file]);
            own = restore(names[k]);
            own_file = k;
            if (!raw) {
                lseek(own, off, SEEK_SET);
                if (read(own, buf, sizeof buf) < 0) perror("read");
            }
        } else {
            take(k);
            if (fds[k] < 0) {
                for (;;) {
                    int v = pop_if_full();
                    if (v < 0) break;
                    if (!try_take(v)) { push(v); continue; }
                    suspend(fds[v], names[v]);
                    fds[v] = -1;
                    give(v);
                    break;
                }
                fds[k] = restore(names[k]);
                push(k);
            }
            lseek(fds[k], off, SEEK_SET);
            if (read(fds[k], buf, sizeof buf) < 0) perror("read");
            give(k);
        }
        counts[id].loops++;
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s DIR THREADS SECONDS [shared|raw]\n", argv[0]);
        return 2;
    }
    int threads = atoi(argv[2]), seconds = atoi(argv[3]);
    shared = argc > 4 && strcmp(argv[4], "shared") == 0;
    raw = argc > 4 && strcmp(argv[4], "raw") == 0;
    if (argc > 4 && !shared && !raw) {
        fprintf(stderr, "the fourth argument is shared or raw\n");
        return 2;
    }
    if (threads < 1 || threads > MAX_THREADS) {
        fprintf(stderr, "THREADS: 1 to %d\n", MAX_THREADS);
        return 2;
    }
    DIR *d = opendir(argv[1]);
    if (d == NULL) { perror(argv[1]); return 1; }
    names = calloc(MAX_FILES, sizeof *names);
    for (struct dirent *e; (e = readdir(d)) != NULL && nfiles < MAX_FILES;) {
        if (e->d_name[0] == '.') continue;
        size_t n = strlen(argv[1]) + strlen(e->d_name) + 2;
        names[nfiles] = malloc(n);
        snprintf(names[nfiles], n, "%s/%s", argv[1], e->d_name);
        fds[nfiles++] = -1;
    }
    closedir(d);
    if (nfiles <= CAPACITY) { fprintf(stderr, "%s: need more than %d files\n", argv[1], CAPACITY); return 1; }
    pthread_t t[MAX_THREADS];
    for (long i = 0; i < threads; i++) pthread_create(&t[i], NULL, run, (void *) i);
    long last[MAX_THREADS] = {0};
    for (int s = 0; s < seconds; s++) {
        sleep(1);
        for (int i = 0; i < threads; i++) {
            long c = counts[i].loops;
            printf("%s%ld", i ? " " : "", c > last[i] ? 1000000000L / (c - last[i]) : 0L);
            last[i] = c;
        }
        printf(s + 1 < seconds ? " | " : "\n");
        fflush(stdout);
    }
    return 0;
}
