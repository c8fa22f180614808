export * from './ChatPanel';
export * from './ChatView';
export { describeHeader } from './Header';
export type { IHeaderText } from './Header';
export * from './FixView';
export * from './MarkdownView';
export * from './MessageView';
export * from './TaskView';
export * from './ModelPicker';
