/* A test double of the common 'termb' resident-ID reader library (termb.dll / libtermb.so).
 *
 * Fictional demo data only: one resident ID card of a person who does not exist. It implements the
 * calls the kiosk makes (kiosk/devices/idcard/vendor_sdk.py documents the API and its sources):
 *   int InitComm(int port); int CloseComm(void); int Authenticate(void); int Read_Content(int active);
 *   int GetPeopleName(char *buf, int *len) and the other field getters; int GetPeopleWlt(...).
 * Every call returns 1 on success and 0 on failure, as the vendor documentation says.
 *
 * Faults are chosen with termb_double_set_fault() or, when that was never called, the environment
 * variable TERMB_DOUBLE_FAULT (read on every call):
 *   "no_card"  Authenticate finds no card;         "port"     InitComm cannot open the port;
 *   "read"     Read_Content fails, card stays;     "removed"  the card is pulled out during Read_Content;
 *   "bad_id"   the ID number's check character is wrong;  "ctrl_name"  the name carries an escape code;
 *   "bad_photo" the photo bytes are corrupt (no decoder can expand them; the rest of the card is fine).
 * termb_double_set_card(0/1) takes the card out or puts it back; termb_double_reset() restores all.
 * Getters honour *len as the buffer's capacity when it is positive (a real library may not: the
 * kiosk passes a generous buffer either way).
 */
#include <stdlib.h>
#include <string.h>

/* GB18030, as the Windows libraries return ANSI text (the kiosk decodes GB18030). */
static const char NAME[] = "\xcd\xf5\xd1\xdd\xca\xbe";                 /* 王演示 */
static const char SEX[] = "\xc4\xd0";                                   /* 男 */
static const char NATION[] = "\xba\xba";                                /* 汉 */
static const char BIRTH[] = "19900307";
static const char ADDRESS[] = "\xb1\xb1\xbe\xa9\xca\xd0\xb6\xab\xb3\xc7\xc7\xf8"
                              "\xd1\xdd\xca\xbe\xc2\xb7\x31\xba\xc5";   /* 北京市东城区演示路1号 */
static const char IDCODE[] = "110101199003071233";                     /* valid GB 11643 check char */
static const char DEPARTMENT[] = "\xb1\xb1\xbe\xa9\xca\xd0\xb9\xab\xb0\xb2"
                                 "\xbe\xd6\xb6\xab\xb3\xc7\xb7\xd6\xbe\xd6"; /* 北京市公安局东城分局 */
static const char START[] = "20200101";
static const char END[] = "20400101";

/* The demo's own photo encoding (never a real WLT): the marker, then 1014 grey levels. */
#define WLT_LEN 1024
static const char WLT_MARK[] = "OVDEMOWLT1";

static char fault_override[32];
static int override_set = 0;
static int card_present = 1;
static int port_open = 0;
static int authenticated = 0;
static int content_read = 0;

static const char *fault(void) {
    if (override_set) return fault_override;
    const char *env = getenv("TERMB_DOUBLE_FAULT");
    return env ? env : "";
}

static int is_fault(const char *name) { return strcmp(fault(), name) == 0; }

void termb_double_set_fault(const char *name) {
    strncpy(fault_override, name ? name : "", sizeof fault_override - 1);
    fault_override[sizeof fault_override - 1] = '\0';
    override_set = 1;
}

void termb_double_set_card(int present) {
    card_present = present != 0;
    if (!card_present) { authenticated = 0; content_read = 0; }
}

void termb_double_reset(void) {
    override_set = 0; fault_override[0] = '\0';
    card_present = 1; port_open = 0; authenticated = 0; content_read = 0;
}

int InitComm(int port) {
    if (port <= 0 || is_fault("port")) return 0;
    port_open = 1;
    return 1;
}

int CloseComm(void) {
    port_open = 0; authenticated = 0; content_read = 0;
    return 1;
}

int Authenticate(void) {
    if (!port_open || !card_present || is_fault("no_card")) { authenticated = 0; return 0; }
    authenticated = 1;
    return 1;
}

int Read_Content(int active) {
    content_read = 0;
    if (!port_open || !authenticated || active < 1 || active > 3) return 0;
    if (is_fault("removed")) { termb_double_set_card(0); return 0; }
    if (is_fault("read")) return 0;
    content_read = 1;
    return 1;
}

static int copy_out(const char *value, size_t n, char *buf, int *len) {
    if (!content_read || buf == NULL || len == NULL) return 0;
    if (*len > 0 && (size_t)*len < n) return 0;
    memcpy(buf, value, n);
    if (*len <= 0 || (size_t)*len > n) buf[n] = '\0';
    *len = (int)n;
    return 1;
}

#define GETTER(fn, value) int fn(char *buf, int *len) { return copy_out(value, sizeof value - 1, buf, len); }
static const char BAD_IDCODE[] = "110101199003071234";
static const char CTRL_NAME[] = "\xcd\xf5\x1b[2J";

int GetPeopleName(char *buf, int *len) {
    if (is_fault("ctrl_name")) return copy_out(CTRL_NAME, sizeof CTRL_NAME - 1, buf, len);
    return copy_out(NAME, sizeof NAME - 1, buf, len);
}

int GetPeopleIDCode(char *buf, int *len) {
    if (is_fault("bad_id")) return copy_out(BAD_IDCODE, sizeof BAD_IDCODE - 1, buf, len);
    return copy_out(IDCODE, sizeof IDCODE - 1, buf, len);
}
GETTER(GetPeopleSex, SEX)
GETTER(GetPeopleNation, NATION)
GETTER(GetPeopleBirthday, BIRTH)
GETTER(GetPeopleAddress, ADDRESS)
GETTER(GetDepartment, DEPARTMENT)
GETTER(GetStartDate, START)
GETTER(GetEndDate, END)

/* The photo as the card stores it (1024 bytes), here in the demo's marked encoding. */
int GetPeopleWlt(unsigned char *buf, int *len) {
    unsigned char wlt[WLT_LEN];
    memcpy(wlt, WLT_MARK, sizeof WLT_MARK - 1);
    for (int i = sizeof WLT_MARK - 1; i < WLT_LEN; i++) wlt[i] = (unsigned char)(64 + (i * 7) % 160);
    if (is_fault("bad_photo")) memset(wlt, 0xA5, 16);   /* the marker is gone: the decoder refuses it */
    return copy_out((const char *)wlt, WLT_LEN, (char *)buf, len);
}
