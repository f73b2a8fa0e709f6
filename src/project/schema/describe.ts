import type { z } from 'zod';

/** Peels default/optional/prefault wrappers to reach the schema that holds the value's type. */
export function unwrapSchema(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = current.def as { type: string; innerType?: z.ZodType };
    if ((def.type === 'default' || def.type === 'optional' || def.type === 'prefault' || def.type === 'nullable') && def.innerType) {
      current = def.innerType;
    } else {
      return current;
    }
  }
}

export function describeSchema(schema: z.ZodType): string | undefined {
  let current: z.ZodType | undefined = schema;
  while (current) {
    if (current.description) return current.description;
    const def = current.def as { innerType?: z.ZodType };
    current = def.innerType;
  }
  return undefined;
}
