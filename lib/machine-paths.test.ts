import { describe, expect, it } from 'vitest';
import { hideMachinePaths, pathReplacements, projectShownAs } from './machine-paths.js';

describe('projectShownAs', () => {
  it('names a project inside the working directory by its relative path', () => {
    expect(projectShownAs('/home/ann/farms/garage', '/home/ann')).toBe('farms/garage');
    expect(projectShownAs('farms/garage', '/home/ann')).toBe('farms/garage');
  });

  it('names the working directory itself, or a folder outside it, by its folder name', () => {
    expect(projectShownAs('/home/ann', '/home/ann')).toBe('ann');
    expect(projectShownAs('.', '/home/ann')).toBe('ann');
    expect(projectShownAs('/srv/bambuzled/project', '/home/ann')).toBe('project');
    expect(projectShownAs('../bob/project', '/home/ann')).toBe('project');
  });
});

describe('hideMachinePaths', () => {
  it('replaces a path where it ends, not inside a longer name', () => {
    const hidden = pathReplacements({ projectDir: '/app', files: ['/data/print_history.db'] });
    expect(
      hideMachinePaths(
        {
          error:
            'in /app/definitions/x.sqlx, /application and /apple; /data/print_history.db is locked ' +
            '(/data/print_history.db-wal, /data/print_history.db.listener.json)',
        },
        hidden,
      ),
    ).toEqual({
      error:
        'in app/definitions/x.sqlx, /application and /apple; print_history.db is locked ' +
        '(print_history.db-wal, print_history.db.listener.json)',
    });
  });

  it('walks arrays and objects and leaves other values alone', () => {
    const hidden = pathReplacements({ files: ['/tmp/x/history.db'] });
    expect(hideMachinePaths([{ at: '/tmp/x/history.db', n: 3, ok: true, none: null }], hidden)).toEqual([
      { at: 'history.db', n: 3, ok: true, none: null },
    ]);
  });
});
