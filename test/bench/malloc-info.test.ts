// bench/malloc-info.ts's readers, on text as the kernel and glibc 2.36 write it (trimmed copies of a tegami
// server's /proc/PID/smaps_rollup and malloc_info(3) after ten IMAP logins): totals per arena summed, the kept
// scrypt block recognised, the process-wide mmap line read from after the last arena, never from inside one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMallocInfo, parseRollup } from '../../bench/malloc-info.js';

const ROLLUP = `55d0c0a00000-7ffd5a3f1000 ---p 00000000 00:00 0                          [rollup]
Rss:              310528 kB
Pss:              268712 kB
Pss_Dirty:        262144 kB
Pss_Anon:         262000 kB
Pss_File:           6712 kB
Shared_Clean:      41000 kB
Anonymous:        262010 kB
Swap:                  0 kB
`;

test('smaps_rollup: Rss, Pss and Anonymous in kB; Pss_Dirty and Pss_Anon are not taken for Pss', () => {
  assert.deepEqual(parseRollup(ROLLUP), { rss_kb: 310528, pss_kb: 268712, anonymous_kb: 262010 });
  assert.deepEqual(parseRollup(''), { rss_kb: 0, pss_kb: 0, anonymous_kb: 0 });
});

const MALLOC_INFO = `<malloc version="1">
<heap nr="0">
<sizes>
  <size from="33" to="33" total="2046" count="62"/>
  <size from="49" to="49" total="1911" count="39"/>
</sizes>
<total type="fast" count="101" size="3957"/>
<total type="rest" count="20" size="310000"/>
<total type="mmap" count="7" size="999999"/>
<system type="current" size="11429888"/>
<system type="max" size="11429888"/>
<aspace type="total" size="11429888"/>
<aspace type="mprotect" size="11429888"/>
</heap>
<heap nr="3">
<sizes>
  <size from="33" to="48" total="1488" count="31"/>
  <unsorted from="16780305" to="16780305" total="16780305" count="1"/>
</sizes>
<total type="fast" count="31" size="1488"/>
<total type="rest" count="2" size="16781233"/>
<system type="current" size="16789504"/>
<system type="max" size="16789504"/>
<aspace type="total" size="16789504"/>
<aspace type="mprotect" size="16789504"/>
<aspace type="subheaps" size="1"/>
</heap>
<heap nr="4">
<sizes>
</sizes>
<total type="fast" count="0" size="0"/>
<total type="rest" count="1" size="1048576"/>
<system type="current" size="2097152"/>
<system type="max" size="2097152"/>
<aspace type="total" size="2097152"/>
<aspace type="mprotect" size="2097152"/>
<aspace type="subheaps" size="1"/>
</heap>
<total type="fast" count="132" size="5445"/>
<total type="rest" count="23" size="18139809"/>
<total type="mmap" count="4" size="4210688"/>
<system type="current" size="30316544"/>
<system type="max" size="30316544"/>
<aspace type="total" size="30316544"/>
<aspace type="mprotect" size="30316544"/>
</malloc>
`;

test('malloc_info: arenas counted, system and free summed, the 16 MB free arena found, mmap from the totals', () => {
  assert.deepEqual(parseMallocInfo(MALLOC_INFO), {
    count: 3,
    system_kb: Math.round((11429888 + 16789504 + 2097152) / 1024),
    free_kb: Math.round((3957 + 310000 + 1488 + 16781233 + 1048576) / 1024),
    with_free_16mb: 1,
    mmapped: 4,
    mmapped_kb: 4112,
  });
});

test('malloc_info: an arena with less than 15 MB free is not a kept scrypt block; no arenas reads as zeros', () => {
  const small = MALLOC_INFO.replace('size="16781233"', 'size="15000000"');
  assert.equal(parseMallocInfo(small).with_free_16mb, 0);
  assert.deepEqual(parseMallocInfo('<malloc version="1">\n</malloc>\n'), { count: 0, system_kb: 0, free_kb: 0, with_free_16mb: 0, mmapped: 0, mmapped_kb: 0 });
});
