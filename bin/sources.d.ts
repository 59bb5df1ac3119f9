// Types of sources.js, for the TypeScript that imports it (tests).
export declare const ROOT: string;
export declare function bundleIsCurrent(): boolean;
