// The charges intake's queue (api/one-at-a-time.ts): one item at a time, in order, and a bounded
// wait: past waitingMax the caller is refused at once (a 503 CHARGES_BUSY on the provider API).
import { OneAtATime, OneAtATimeBusy } from '../../api/one-at-a-time';

describe('OneAtATime', () => {
  it('runs items one at a time, in the order they came', async () => {
    const queue = new OneAtATime(5);
    const events: string[] = [];
    let running = 0;
    const item = (name: string) => queue.run(async () => {
      running += 1;
      expect(running).toBe(1);
      events.push(`start ${name}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      events.push(`end ${name}`);
      running -= 1;
      return name;
    });
    await expect(Promise.all([item('a'), item('b'), item('c')])).resolves.toEqual(['a', 'b', 'c']);
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('refuses at once past waitingMax waiting items, and takes items again once they ran', async () => {
    const queue = new OneAtATime(1);
    let release: () => void = () => undefined;
    const first = queue.run(() => new Promise<string>((resolve) => { release = () => resolve('first'); }));
    await Promise.resolve();
    const second = queue.run(async () => 'second');
    await expect(queue.run(async () => 'third')).rejects.toBeInstanceOf(OneAtATimeBusy);
    release();
    await expect(first).resolves.toBe('first');
    await expect(second).resolves.toBe('second');
    await expect(queue.run(async () => 'fourth')).resolves.toBe('fourth');
  });

  it('goes on after an item failed', async () => {
    const queue = new OneAtATime(2);
    const failed = queue.run(async () => { throw new Error('bad upload'); });
    const next = queue.run(async () => 'next');
    await expect(failed).rejects.toThrow('bad upload');
    await expect(next).resolves.toBe('next');
  });
});
