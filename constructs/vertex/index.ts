export { VertexModel, type VertexModelProps, type IVertexModel, type VertexModelAttributes } from './vertex-model';
