export * from './ChatPanel';
export * from './ChatView';
export * from './FixView';
export * from './MarkdownView';
export * from './MessageView';
export * from './TaskView';
export * from './ModelPicker';
