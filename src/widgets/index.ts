export * from './ChatPanel';
export * from './ChatView';
export * from './MarkdownView';
