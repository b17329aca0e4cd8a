/* A test double of the licensed WLT photo decoder that resident-ID reader vendors ship.
 *
 *   int unpack(const char *wlt, char *bmp, int save_file);
 * Decodes the 1024-byte WLT into a 102x126 24-bit BMP of 38862 bytes written to `bmp`; returns 1 on
 * success, a value <= 0 otherwise; `save_file` (write zp.bmp next to the library) is ignored.
 * It decodes only the demo's own marked encoding ("OVDEMOWLT1" + grey levels, the same rule as
 * kiosk/devices/idcard/photo.py DemoPhotoDecoder) and fails for anything else, as a real decoder
 * fails for data that is not WLT. Two more markers exercise the caller's defences:
 * "SLOWWLT" sleeps 3 s and then fails (a hung decoder); "BOMBWLT" succeeds with a BMP header that
 * declares 20000x20000 pixels (a decoder whose output must not be trusted).
 */
#include <string.h>
#include <unistd.h>

#define W 102
#define H 126
#define ROW 308            /* 102 * 3 bytes padded to a multiple of 4 */
#define HEADER 54
#define WLT_LEN 1024
static const char MARK[] = "OVDEMOWLT1";

static void le32(unsigned char *p, unsigned v) { p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24; }

int unpack(const char *wlt, char *bmp, int save_file) {
    (void)save_file;
    if (wlt == NULL || bmp == NULL) return -1;
    if (memcmp(wlt, "SLOWWLT", 7) == 0) { sleep(3); return 0; }
    if (memcmp(wlt, "BOMBWLT", 7) == 0) {
        memset(bmp, 0, HEADER);
        bmp[0] = 'B'; bmp[1] = 'M';
        le32((unsigned char *)bmp + 2, HEADER + ROW * H); le32((unsigned char *)bmp + 10, HEADER);
        le32((unsigned char *)bmp + 14, 40); le32((unsigned char *)bmp + 18, 20000);
        le32((unsigned char *)bmp + 22, 20000); bmp[26] = 1; bmp[28] = 24;
        return 1;
    }
    if (memcmp(wlt, MARK, sizeof MARK - 1) != 0) return -2;
    const unsigned char *levels = (const unsigned char *)wlt + sizeof MARK - 1;
    const int n = WLT_LEN - (int)(sizeof MARK - 1);
    unsigned char *out = (unsigned char *)bmp;
    memset(out, 0, HEADER + ROW * H);
    out[0] = 'B'; out[1] = 'M';
    le32(out + 2, HEADER + ROW * H); le32(out + 10, HEADER); le32(out + 14, 40);
    le32(out + 18, W); le32(out + 22, H);
    out[26] = 1; out[28] = 24; le32(out + 34, ROW * H);
    for (int y = 0; y < H; y++) {                 /* bottom-up rows, as BMP stores them */
        unsigned char *row = out + HEADER + (H - 1 - y) * ROW;
        for (int x = 0; x < W; x++) {
            unsigned char g = levels[(y * W + x) % n];
            row[x * 3] = g; row[x * 3 + 1] = g; row[x * 3 + 2] = g;
        }
    }
    return 1;
}
